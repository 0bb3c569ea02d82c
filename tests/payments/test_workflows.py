"""Orders and refunds on the workflow core (payments.states): a lost race raises the order's stale
error (and the expiry job skips such an order quietly); staff send a failed refund again through
the worker, audited with their name, never by calling the platform in their request."""
import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.exceptions import DomainError
from core.models import AuditEntry
from core.workflow import StaleState, allowed_actions
from payments import services
from payments.exceptions import OrderChanged, RefundNotAllowed
from payments.models import Order, Refund
from payments.providers.sandbox import SandboxProvider
from payments.states import ORDER
from tests.accounts.factories import UserFactory
from tests.payments.conftest import counts, signed_notification

pytestmark = pytest.mark.django_db


def order_actions(order) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(order.pk), action__startswith="order.")
                .order_by("pk").values_list("action", flat=True))


# --------------------------------------------------------------------------- a lost race on an order


def test_of_two_stale_copies_of_an_order_the_second_action_raises_the_stale_error(order, candidate):
    first, second = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)

    ORDER.perform(first, "cancel", actor=candidate, reason="cancelled by the candidate")
    with pytest.raises(OrderChanged) as lost, transaction.atomic():  # the beat job's own transaction
        ORDER.perform(second, "expire", actor=None, reason="unpaid in time")

    assert isinstance(lost.value, StaleState) and isinstance(lost.value, DomainError)
    assert str(lost.value)  # a message a page can show
    assert second.status == "pending"  # the loser's copy is left as it was read
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert order_actions(order) == ["order.created", "order.cancelled"]  # one entry for the one action


def test_the_expiry_job_quietly_skips_an_order_paid_between_its_read_and_its_close(
        order, enrollment, exam, area, monkeypatch, on_commit):
    close = services._close

    def paid_just_before(order_to_close, action, **kwargs):
        """The platform's notification lands after the beat job listed the order as due."""
        with on_commit():
            services.payment_notify(provider="sandbox", data=signed_notification(Order.objects.get(pk=order.pk)))
        return close(order_to_close, action, **kwargs)

    monkeypatch.setattr(services, "_close", paid_just_before)
    late = timezone.now() + datetime.timedelta(minutes=settings.ORDER_UNPAID_MINUTES + 1)
    with time_machine.travel(late, tick=False):
        assert services.orders_expire_due() == 0  # no error, nothing expired

    order.refresh_from_db()
    assert order.status == "paid" and order.closed_at is None
    assert counts(exam, area) == [(0, 1), (0, 1)]
    enrollment.refresh_from_db()
    assert enrollment.status == "enrolled"
    assert order_actions(order) == ["order.created", "order.paid"]
    assert services.check_invariants() == []


# --------------------------------------------------------------------------- staff send a failed refund again


@pytest.fixture
def failed_refund(settings, paid_order, candidate, on_commit) -> Refund:
    settings.PAYMENT_SANDBOX_FAIL_REFUNDS = True
    with on_commit():
        refund = services.refund_request(enrollment=paid_order.enrollment, actor=candidate)
    refund.refresh_from_db()
    assert refund.status == "failed" and refund.attempts == 1
    settings.PAYMENT_SANDBOX_FAIL_REFUNDS = False
    return refund


@pytest.fixture
def finance(db):
    """Association staff: they may send refunds again (payments.change_refund)."""
    user = UserFactory(username="finance", name="财务", is_staff=True)
    user.groups.add(Group.objects.get(name="association_staff"))
    return user


@pytest.fixture
def gateway_calls(monkeypatch):
    calls = []
    refund = SandboxProvider.refund

    def recorded(self, **kwargs):
        calls.append(kwargs["refund_request_no"])
        return refund(self, **kwargs)

    monkeypatch.setattr(SandboxProvider, "refund", recorded)
    return calls


def test_the_admin_retry_queues_the_refund_for_the_worker_and_audits_the_staff_member(
        failed_refund, finance, gateway_calls, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(finance)
    assert [a.name for a in allowed_actions(failed_refund, finance)] == ["retry"]

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("admin:payments_refund_changelist"),
                               {"action": "retry", "_selected_action": [failed_refund.pk]})

    assert response.status_code == 302
    assert gateway_calls == []  # the platform was not called in the staff member's request
    failed_refund.refresh_from_db()
    assert failed_refund.status == "requested" and failed_refund.attempts == 1
    entry = AuditEntry.objects.get(object_id=str(failed_refund.pk), actor=finance)
    assert entry.action == "refund.requested"
    assert entry.before == {"status": "failed"} and entry.after == {"status": "requested"}
    assert len(queued) == 1

    queued[0]()  # the worker runs payments.tasks.process_refund
    assert gateway_calls == [f"RF{failed_refund.pk:010d}"]
    failed_refund.refresh_from_db()
    assert failed_refund.status == "refunded" and failed_refund.attempts == 2
    assert Order.objects.get(pk=failed_refund.order_id).status == "refunded"
    assert services.check_invariants() == []


def test_only_failed_refunds_are_sent_again_and_only_by_staff_allowed_to(
        failed_refund, finance, candidate, gateway_calls, django_capture_on_commit_callbacks):
    with pytest.raises(RefundNotAllowed):  # the candidate may not
        services.refund_retry(refund=failed_refund, actor=candidate)
    assert allowed_actions(failed_refund, candidate) == []
    Refund.objects.filter(pk=failed_refund.pk).update(status="refunded")
    failed_refund.refresh_from_db()
    assert allowed_actions(failed_refund, finance) == []
    client = Client()
    client.force_login(finance)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(reverse("admin:payments_refund_changelist"),
                    {"action": "retry", "_selected_action": [failed_refund.pk]})

    assert queued == [] and gateway_calls == []
    assert not AuditEntry.objects.filter(object_id=str(failed_refund.pk), actor=finance).exists()
    with pytest.raises(RefundNotAllowed):
        services.refund_retry(refund=failed_refund, actor=finance)
