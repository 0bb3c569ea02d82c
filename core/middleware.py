"""A part the site relies on cannot be reached: a clear "busy, try again later" page, not a 500.

What can do without Redis does (sessions read the database, the seat figures are computed, tasks
that cannot be queued are logged: core.sessions, exams.availability, core.broker). What cannot
(allauth's rate limits on login and password reset, for instance) raises Redis's or kombu's
connection error: the visitor gets 503 with Retry-After, and the log says what was unreachable."""
import logging
from http import HTTPStatus

from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from kombu.exceptions import OperationalError

from .cache import UNREACHABLE

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (*UNREACHABLE, OperationalError)):
            return None
        logger.warning("answered 503: %s", type(exception).__name__,
                     extra={"path": request.path, "error": str(exception)[:200]})
        response = render(request, "503.html", {"retry_after": RETRY_AFTER_SECONDS},
                          status=HTTPStatus.SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        add_never_cache_headers(response)
        return response
