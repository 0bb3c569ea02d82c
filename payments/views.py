import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.workflow import can
from registration import documents
from registration import selectors as registration_selectors
from registration.forms import AreaForm
from registration.models import EnrollmentStatus

from . import providers, selectors, services
from .models import OrderStatus
from .states import ORDER

logger = logging.getLogger(__name__)


def _enrollment(request, pk):
    return registration_selectors.enrollment_for_user(pk, request.user)


def _pay_url(request, order) -> str:
    provider = providers.get(order.provider)
    return provider.start_payment(
        order=order,
        return_url=request.build_absolute_uri(reverse("payments:order-return", args=[order.number])),
        notify_url=request.build_absolute_uri(reverse("payments:notify", args=[order.provider])))


@login_required
def payment_page(request, pk):
    """缴费页面: area, subjects, fees, total, refund window and the warnings, then 网上支付."""
    enrollment = _enrollment(request, pk)
    choices = registration_selectors.choices_of(enrollment)
    order = selectors.open_order(enrollment)
    orders = selectors.orders_with_invoices(enrollment)
    return render(request, "payments/payment_page.html", {
        "enrollment": enrollment, "exam": enrollment.exam, "choices": choices,
        "total": registration_selectors.total_fee(choices), "order": order,
        "paid_order": selectors.paid_order(enrollment), "providers": providers.enabled(),
        "orders": orders, "invoices": [o.invoice_record for o in orders if o.invoice_record],
        # What the page offers is what the workflow allows this candidate now.
        "can_order": can(enrollment, request.user, "take_seats"),
        "can_cancel": order is not None and can(order, request.user, "cancel"),
    })


@login_required
def invoice_pdf(request, number):
    """发票记录 as PDF, issued or voided: only for the candidate who paid (404 for anyone else)."""
    invoice = selectors.invoice_for_user(number, request.user)
    lines = invoice.order.lines.select_related("sitting", "subject")
    return documents.pdf_response(documents.invoice_record(invoice, lines), f"发票记录-{invoice.number}.pdf")


@login_required
@require_POST
def order_create(request, pk):
    enrollment = _enrollment(request, pk)
    try:
        order = services.order_create(enrollment=enrollment, actor=request.user,
                                      provider=request.POST.get("provider", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:payment-page", enrollment.pk)
    return redirect(_pay_url(request, order))


@login_required
def order_go(request, number):
    """Back to the platform's checkout for an unpaid order."""
    order = selectors.order_for_user(number, request.user)
    if order.status != OrderStatus.PENDING:
        return redirect("payments:payment-page", order.enrollment_id)
    return redirect(_pay_url(request, order))


@login_required
@require_POST
def order_cancel(request, number):
    order = selectors.order_for_user(number, request.user)
    try:
        services.order_cancel(order=order, actor=request.user)
        messages.success(request, _("The order was cancelled and its seats given back. You can change your "
                                    "subjects and area."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("payments:payment-page", order.enrollment_id)


def _check(request, order):
    try:
        order = services.payment_check(order=order)
    except (providers.ProviderError, providers.InvalidSignature, DomainError) as exc:
        logger.warning("payment check failed", extra={"order": order.number, "error": str(exc)[:200]})
        messages.error(request, _("The payment platform could not be asked just now. Try again in a minute."))
        return order
    if order.status == OrderStatus.PAID:
        messages.success(request, _("Payment received: your registration is complete."))
    elif order.late_payment_note:
        messages.warning(request, order.late_payment_note)
    else:
        messages.info(request, _("No payment has arrived for this order yet. If money was taken, look again "
                                 "in a few minutes; do not pay twice."))
    return order


@login_required
@require_POST
def order_check(request, number):
    """支付完毕: ask the platform rather than trust the browser."""
    order = _check(request, selectors.order_for_user(number, request.user))
    return redirect("payments:payment-page", order.enrollment_id)


@login_required
def order_return(request, number):
    """The browser comes back from the platform: its parameters prove nothing, so ask the platform."""
    order = _check(request, selectors.order_for_user(number, request.user))
    return redirect("payments:payment-page", order.enrollment_id)


@csrf_exempt
@require_POST
def notify(request, provider):
    """Server-to-server notification: signature, amount and replay are checked by the service."""
    if not providers.accepts_notifications(provider):
        return HttpResponseBadRequest("fail")
    try:
        gateway = providers.get(provider)
        services.payment_notify(provider=provider, data=request.POST.dict())
    except providers.InvalidSignature:
        logger.warning("payment notification with a bad signature", extra={"provider": provider})
        return HttpResponseBadRequest("fail")
    except (DomainError, providers.ProviderError) as exc:
        logger.warning("payment notification refused", extra={"provider": provider, "error": str(exc)[:200]})
        return HttpResponseBadRequest("fail")
    return HttpResponse(gateway.notification_ack(), content_type="text/plain")


def _paid_enrollments(user):
    return [e for e in registration_selectors.enrollments_of(user) if e.status == EnrollmentStatus.ENROLLED]


@login_required
def change_city_index(request):
    paid = _paid_enrollments(request.user)
    if len(paid) == 1:
        return redirect("payments:change-city", paid[0].pk)
    return render(request, "payments/choose_enrollment.html", {"enrollments": paid, "target": "payments:change-city",
                                                               "title": _("Change exam city")})


@login_required
def refund_index(request):
    paid = _paid_enrollments(request.user)
    if len(paid) == 1:
        return redirect("payments:refund", paid[0].pk)
    return render(request, "payments/choose_enrollment.html", {"enrollments": paid, "target": "payments:refund",
                                                               "title": _("Refund")})


@login_required
def change_city(request, pk):
    """更换考点城市: only to an area with a free seat in every paid sitting, in one step."""
    enrollment = _enrollment(request, pk)
    choices = registration_selectors.choices_of(enrollment)
    options = [o for o in registration_selectors.enrollment_area_options(enrollment, [c.sitting for c in choices])
               if o.area.pk != enrollment.area_id]
    form = AreaForm(request.POST if request.method == "POST" else None, options=options)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.change_area(enrollment=enrollment, actor=request.user, area_id=form.cleaned_data["area"])
            except DomainError as exc:
                form.add_error("area", exc.message)
                status = 409
            else:
                messages.success(request, _("Your exam city was changed."))
                return redirect("registration:enrollment-progress", enrollment.pk)
        else:
            status = 400
    return render(request, "payments/change_city.html", {
        "enrollment": enrollment, "exam": enrollment.exam, "choices": choices, "options": options, "form": form,
        "can_change": can(enrollment, request.user, "change_city"),
    }, status=status)


@login_required
def refund(request, pk):
    """退费: paid subjects and amounts, then a request with a second confirmation."""
    enrollment = _enrollment(request, pk)
    order = selectors.paid_order(enrollment)
    status = 200
    if request.method == "POST":
        try:
            services.refund_request(enrollment=enrollment, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 409
        else:
            messages.success(request, _("Your refund request was submitted. Refunds can take some time."))
            return redirect("payments:refund", enrollment.pk)
    start = ORDER.action("start_refund")
    return render(request, "payments/refund.html", {
        "enrollment": enrollment, "exam": enrollment.exam, "order": order,
        "refund": selectors.refund_of(request.user, enrollment.exam),
        # What the page offers is what the workflow allows; otherwise it says why not.
        "refund_refusal": start.refusal(order, request.user, order.status) if order else None,
    }, status=status)
