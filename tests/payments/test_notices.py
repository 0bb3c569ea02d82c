"""A candidate is told when their refund completes (with the amount) and, once, about ten minutes
before their unpaid order expires (SPEC G9)."""
import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.urls import reverse

from core.models import Notification
from payments import services, tasks
from payments.models import Refund

pytestmark = pytest.mark.django_db


def test_a_completed_refund_tells_the_candidate_the_amount(paid_order, candidate, logged_in, on_commit):
    with on_commit():
        services.refund_request(enrollment=paid_order.enrollment, actor=candidate)  # the worker runs on commit
    refund = Refund.objects.get()
    assert refund.status == "refunded"
    notice = Notification.objects.get(recipient=candidate, kind="refund.completed")
    assert notice.subject == "退费完成：160.00 元" and paid_order.number in notice.body
    assert notice.texts["en"]["subject"] == "Refund completed: 160.00 CNY"
    assert notice.url == reverse("payments:refund", args=[paid_order.enrollment_id])
    assert [m.subject for m in mail.outbox] == ["退费完成：160.00 元"]
    assert logged_in.get(notice.url).status_code == 200

    services.refund_process(refund_id=refund.pk)  # the task delivered twice: no second notice
    assert Notification.objects.filter(kind="refund.completed").count() == 1


def test_a_failed_refund_sends_no_completion_notice(paid_order, candidate, settings, on_commit):
    settings.PAYMENT_SANDBOX_FAIL_REFUNDS = True
    with on_commit():
        services.refund_request(enrollment=paid_order.enrollment, actor=candidate)
    assert Refund.objects.get().status == "failed"
    assert not Notification.objects.filter(kind="refund.completed").exists()


def test_an_unpaid_order_is_announced_once_ten_minutes_before_it_expires(order, candidate, logged_in, on_commit):
    assert "payments.warn_expiring_orders" in {job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()}
    assert services.orders_warn_expiring() == 0  # 30 minutes left: too early
    with time_machine.travel(order.expires_at - datetime.timedelta(minutes=9, seconds=30), tick=False), on_commit():
        assert tasks.warn_expiring_orders.delay().get() == 1
        assert services.orders_warn_expiring() == 0  # the next beat, or a second worker
    notice = Notification.objects.get(recipient=candidate)
    assert notice.kind == "order.expiring" and notice.object_id == order.pk
    assert notice.url == reverse("payments:payment-page", args=[order.enrollment_id])
    assert notice.subject.startswith("请在") and order.number in notice.body and "160.00 元" in notice.body
    assert len(mail.outbox) == 1
    page = logged_in.get(reverse("inbox:notification-list")).content.decode()
    assert notice.subject in page


def test_no_warning_once_the_order_is_past_its_time(order):
    with time_machine.travel(order.expires_at + datetime.timedelta(seconds=30), tick=False):
        assert services.orders_warn_expiring() == 0  # still pending until the expiry job runs
    assert not Notification.objects.filter(kind="order.expiring").exists()


def test_no_warning_for_a_paid_order(paid_order):
    with time_machine.travel(paid_order.expires_at - datetime.timedelta(minutes=5), tick=False):
        assert services.orders_warn_expiring() == 0
    assert not Notification.objects.filter(kind="order.expiring").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_beat_runs_racing_each_other_still_tell_the_candidate_once(order):
    """Two workers run the beat job at the same moment (a restart, a duplicated schedule)."""
    go = threading.Event()

    def run():
        try:
            go.wait(timeout=10)
            return services.orders_warn_expiring()
        finally:
            connection.close()

    with (time_machine.travel(order.expires_at - datetime.timedelta(minutes=9), tick=False),
          ThreadPoolExecutor(max_workers=4) as pool):
        futures = [pool.submit(run) for _ in range(4)]
        go.set()
        told = [future.result(timeout=60) for future in futures]
    assert sorted(told) == [0, 0, 0, 1]
    assert Notification.objects.filter(kind="order.expiring", object_id=order.pk).count() == 1
