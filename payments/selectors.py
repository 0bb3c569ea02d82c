from django.shortcuts import get_object_or_404

from registration import selectors as registration_selectors

from .models import Invoice, Order, OrderStatus, Refund


def order_for_user(number: str, user) -> Order:
    return get_object_or_404(Order.objects.select_related("exam", "enrollment", "enrollment__area"),
                             number=number, candidate=user)


def open_order(enrollment) -> Order | None:
    return enrollment.orders.filter(status=OrderStatus.PENDING).first()


def paid_order(enrollment) -> Order | None:
    return enrollment.orders.filter(status=OrderStatus.PAID).prefetch_related("lines__subject", "lines__sitting").first()


def orders_of(enrollment):
    return enrollment.orders.prefetch_related("lines__subject", "lines__sitting").order_by("-created_at")


def refund_of(user, exam) -> Refund | None:
    return Refund.objects.filter(candidate=user, exam=exam, kind="candidate").select_related("order").first()


def orders_with_invoices(enrollment):
    """The enrollment's orders, newest first, each with its invoice record if one was issued."""
    orders = list(orders_of(enrollment).prefetch_related("invoice"))
    for order in orders:
        order.invoice_record = getattr(order, "invoice", None)  # a missing reverse one-to-one raises AttributeError
        if order.invoice_record:
            order.invoice_record.kind_label = registration_selectors.invoice_kind_label(order.invoice_record.kind)
    return orders


def invoice_for_user(number: str, user) -> Invoice:
    """The candidate's own invoice record (issued or voided), or 404."""
    return get_object_or_404(Invoice.objects.select_related("order", "order__exam", "order__candidate"),
                             number=number, order__candidate=user)
