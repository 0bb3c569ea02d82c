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


def test_the_refund_page_offers_the_request_only_when_the_workflow_allows_it(logged_in, order, on_commit):
    from datetime import timedelta

    from django.utils import timezone

    from exams.models import Exam
    from payments import services

    with on_commit():
        services.payment_notify(provider="sandbox", data=signed_notification(order))
    url = reverse("payments:refund", args=[order.enrollment_id])
    now = timezone.now()
    Exam.objects.filter(pk=order.exam_id).update(refund_opens_at=now - timedelta(days=1),
                                                 refund_closes_at=now + timedelta(days=1))
    assert 'data-testid="refund-request"' in logged_in.get(url).content.decode()
    Exam.objects.filter(pk=order.exam_id).update(refund_closes_at=now - timedelta(hours=1))
    html = logged_in.get(url).content.decode()
    assert 'data-testid="refund-request"' not in html
    assert 'data-testid="refund-refusal"' in html and "当前不在可申请退款时间内" in html
