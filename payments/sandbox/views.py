from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import api
from .models import SandboxTransaction


def while_enabled(view):
    """The platform exists only while PAYMENT_SANDBOX_ENABLED is on (production: off by default)."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PAYMENT_SANDBOX_ENABLED:
            raise Http404("the sandbox payment platform is switched off")
        return view(request, *args, **kwargs)
    return wrapper


@while_enabled
def gateway(request):
    """The platform's checkout page, opened with the merchant's signed request."""
    try:
        txn = api.open_transaction(request.GET.dict())
    except (api.SandboxError, KeyError, ValueError, ArithmeticError):
        return HttpResponseBadRequest("invalid payment request")
    return render(request, "sandbox/checkout.html", {"txn": txn})


@while_enabled
@require_POST
def pay(request, trade_no):
    txn = get_object_or_404(SandboxTransaction, trade_no=trade_no)
    api.pay(txn)
    return render(request, "sandbox/paid.html", {"txn": txn, "back": _return_url(txn)})


def _return_url(txn) -> str:
    from urllib.parse import urlencode

    separator = "&" if "?" in txn.return_url else "?"
    return f"{txn.return_url}{separator}{urlencode(api.return_params(txn))}"


@while_enabled
def back(request, trade_no):
    """Leave the checkout without paying: back to the merchant."""
    txn = get_object_or_404(SandboxTransaction, trade_no=trade_no)
    return redirect(_return_url(txn))


@csrf_exempt
@while_enabled
@require_POST
def query(request):
    return JsonResponse(api.query(request.POST.dict()))


@csrf_exempt
@while_enabled
@require_POST
def refund(request):
    return JsonResponse(api.refund(request.POST.dict()))
