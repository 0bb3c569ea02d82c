"""What the message centre (SPEC G9) tells a candidate about their orders and refunds."""
from django.urls import reverse
from django.utils.translation import gettext_noop

from core import notifications

from .models import Order, Refund, RefundKind, RefundStatus

ORDER_EXPIRING = "order.expiring"


def refund_completed(*, refund: Refund) -> None:
    """After the refund's move to REFUNDED (does nothing when that move lost a race)."""
    if refund.status != RefundStatus.REFUNDED:
        return
    order = refund.order
    url = reverse("payments:refund" if refund.kind == RefundKind.CANDIDATE else "payments:payment-page",
                  args=[order.enrollment_id])
    notifications.notify(
        recipients=[refund.candidate], kind="refund.completed", obj=refund, url=url,
        subject=gettext_noop("Refund completed: %(amount)s CNY"),
        body=gettext_noop("The refund of %(amount)s CNY for %(exam)s (order %(number)s) is complete. The money "
                          "goes back the way you paid; your bank or payment platform may take a few days to "
                          "show it."),
        params={"amount": refund.amount, "exam": refund.exam.name, "number": order.number})


def order_expiring(*, order: Order) -> bool:
    """With the order's row locked: tell its candidate once that it is about to expire; False when
    that was done before."""
    if notifications.about(order, ORDER_EXPIRING).exists():
        return False
    notifications.notify(
        recipients=[order.candidate], kind=ORDER_EXPIRING, obj=order,
        url=reverse("payments:payment-page", args=[order.enrollment_id]),
        subject=gettext_noop("Pay your order before %(time)s"),
        body=gettext_noop("Your order %(number)s for %(exam)s (%(amount)s CNY) is not paid yet. Pay it before "
                          "%(time)s, or it is cancelled and its seats go back to other candidates."),
        params={"number": order.number, "exam": order.exam.name, "amount": order.amount, "time": order.expires_at})
    return True
