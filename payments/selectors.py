from django.shortcuts import get_object_or_404

from .models import Order, OrderStatus, Refund


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
