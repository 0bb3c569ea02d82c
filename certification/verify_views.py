"""证书查询: anyone checks a certificate without logging in (SPEC G10), by certificate number and check
code (the form) or by the link of the QR code (/verify/<token>/).

Each lookup counts against the visitor's address (core.http.client_ip) in the shared cache (Redis
in production): past VERIFY_LIMIT lookups in VERIFY_WINDOW seconds the answer is 429, so numbers and
codes cannot be tried in bulk. A client that asks for JSON (Accept: application/json) gets
{"status": …}; a revoked certificate answers HTTP 410 with "revoked": true, as Open Badges does."""
from __future__ import annotations

import time

from django import forms
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core.http import client_ip
from core.validators import PlainTextFormMixin

from . import certificates

VERIFY_LIMIT = 30
VERIFY_WINDOW = 10 * 60


class VerifyForm(PlainTextFormMixin, forms.Form):
    number = forms.CharField(label=_("Certificate number"), max_length=40,
                             help_text=_("As printed on the certificate, e.g. QMS-2024-00001235."))
    code = forms.CharField(label=_("Certificate check code"), max_length=20,
                           help_text=_("The 8-character check code printed on the certificate."))


def _over_limit(request) -> bool:
    """Count this lookup for the visitor's address; True once past the limit in this window."""
    window = int(time.time() // VERIFY_WINDOW)
    key = f"verify-lookups:{client_ip(request) or 'unknown'}:{window}"
    cache.add(key, 0, VERIFY_WINDOW + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, VERIFY_WINDOW + 5)
        count = 1
    return count > VERIFY_LIMIT


def _wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _private(response):
    # The answer changes when a certificate is suspended or revoked; the token must not leak to other
    # sites. Not "no-referrer": with it a browser sends "Origin: null" with the page's own form, and
    # Django's CSRF check refuses the lookup (403).
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _too_many(request, form=None):
    if _wants_json(request):
        return _private(JsonResponse({"status": "rate_limited"}, status=429))
    response = render(request, "certification/verify/verify.html",
                      {"form": form or VerifyForm(), "rate_limited": True,
                       "minutes": VERIFY_WINDOW // 60}, status=429)
    response["Retry-After"] = str(VERIFY_WINDOW)
    return _private(response)


def _answer(request, certificate, form=None, *, looked_up: bool):
    view = certificates.public_view(certificate) if certificate is not None else None
    if _wants_json(request):
        if view is None:
            return _private(JsonResponse({"status": "not_found"}, status=404))
        return _private(JsonResponse(view.as_json(), status=410 if view.status == "revoked" else 200))
    status = 404 if looked_up and view is None and form is None else 200
    return _private(render(request, "certification/verify/verify.html",
                           {"form": form or VerifyForm(), "result": view, "not_found": looked_up and view is None},
                           status=status))


@require_http_methods(["GET", "POST"])
def verify(request):
    """The form: a number and its check code together find the certificate; a wrong one of the two
    says only that nothing was found."""
    if request.method == "GET":
        return _private(render(request, "certification/verify/verify.html", {"form": VerifyForm()}))
    form = VerifyForm(request.POST)
    if not form.is_valid():
        return _private(render(request, "certification/verify/verify.html", {"form": form}, status=400))
    if _over_limit(request):
        return _too_many(request, form)
    certificate = certificates.find_by_number(form.cleaned_data["number"], form.cleaned_data["code"])
    return _answer(request, certificate, form, looked_up=True)


@require_http_methods(["GET"])
def token(request, token):
    """The QR code's link: the certificate's status at a glance."""
    if _over_limit(request):
        return _too_many(request)
    return _answer(request, certificates.find_by_token(token), looked_up=True)
