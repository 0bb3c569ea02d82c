"""Request hygiene that no view should have to remember."""
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


class RefuseNulMiddleware:
    """A NUL character in the path, a query parameter or a form field is refused with 400 before any
    view runs: PostgreSQL cannot store or compare one (DataError, a 500), and no legitimate browser
    sends it. Uploaded files are bytes and are not inspected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            return HttpResponseBadRequest(_("The request contains a NUL character, which is not allowed."),
                                          content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path_info or "\x00" in request.path:
            return True
        if "%00" in request.META.get("QUERY_STRING", "") and any(
                "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            return True
        if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                                 "multipart/form-data"):
            return any("\x00" in key or any("\x00" in value for value in values if isinstance(value, str))
                       for key, values in request.POST.lists())
        return False
