"""The payment page offers what the workflow allows this candidate now (issue 13): paying a confirmed
registration, cancelling an unpaid order, and neither once it is paid."""
import pytest
from django.urls import reverse

from tests.payments.conftest import signed_notification

pytestmark = pytest.mark.django_db


def page(client, enrollment) -> str:
    return client.get(reverse("payments:payment-page", args=[enrollment.pk])).content.decode()


def test_a_confirmed_registration_is_offered_payment_only(logged_in, enrollment):
    html = page(logged_in, enrollment)
    assert reverse("payments:order-create", args=[enrollment.pk]) in html
    assert "order-cancel" not in html and "/cancel/" not in html


def test_an_unpaid_order_can_be_cancelled_and_not_ordered_again(logged_in, order):
    html = page(logged_in, order.enrollment)
    assert reverse("payments:order-cancel", args=[order.number]) in html
    assert reverse("payments:order-create", args=[order.enrollment_id]) not in html


def test_a_paid_registration_is_offered_neither(logged_in, order, on_commit):
    from payments import services

    with on_commit():
        services.payment_notify(provider="sandbox", data=signed_notification(order))
    html = page(logged_in, order.enrollment)
    assert reverse("payments:order-create", args=[order.enrollment_id]) not in html
    assert reverse("payments:order-cancel", args=[order.number]) not in html
