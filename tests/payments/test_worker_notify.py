"""The sandbox platform's notification, delivered by a REAL Celery worker over HTTP to the live server.

The worker runs in its own process on a queue of its own, against the same test database; the
merchant's notify endpoint is pytest-django's live server."""
import subprocess
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from exams import demo
from exams.models import Area, Sitting
from payments import services
from payments.models import NotificationOutcome, OrderStatus
from payments.providers.sandbox import SandboxProvider
from payments.sandbox import api, signing
from payments.sandbox.models import SandboxTransaction, TransactionStatus
from tests.accounts.factories import EducationFactory, UserFactory
from tests.photos.factories import approved_photo
from tests.workers import celery_worker
from tests.payments.conftest import confirmed_enrollment

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
CLOSED_PORT_NOTIFY = "http://127.0.0.1:9/pay/notify/sandbox/"


@pytest.fixture
def worker(settings):
    # the platform (worker) and the merchant (live server) must share the signing key
    with celery_worker(settings, "pay", DJANGO_SECRET_KEY=settings.SECRET_KEY,
                       PAYMENT_SANDBOX_KEY=signing._key().decode()) as process:
        yield process


def _output(process) -> str:
    process.terminate()
    try:
        out, _err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _err = process.communicate()
    return out.decode(errors="replace")


def _confirmed_enrollment():
    """A candidate with an approved photo and a confirmed enrollment (GB + QMS in 济南) of the demo exam."""
    exam = demo.seed()
    sittings = list(Sitting.objects.filter(exam=exam).order_by("starts_at"))
    candidate = UserFactory(name="李雷")
    EducationFactory(user=candidate)
    approved_photo(candidate)
    return candidate, confirmed_enrollment(candidate, exam, sittings, Area.objects.get(name="济南"))


def _open_sandbox_transaction(order, notify_url) -> SandboxTransaction:
    """What the checkout page does with the merchant's signed redirect: open the platform's transaction."""
    url = SandboxProvider().start_payment(order=order, return_url="http://localhost/pay/return/",
                                          notify_url=notify_url)
    assert urlsplit(url).path == reverse("paysandbox:gateway")
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    txn = api.open_transaction(params)
    assert txn.notify_url == notify_url and txn.amount == order.amount
    return txn


def _wait(worker, condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        assert worker.poll() is None, _output(worker)
        time.sleep(0.2)
    return condition()


def test_worker_delivers_the_signed_notification_and_the_order_is_paid(worker, live_server):
    candidate, enrollment = _confirmed_enrollment()
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    assert order.status == OrderStatus.PENDING
    notify_url = live_server.url + reverse("payments:notify", args=["sandbox"])
    txn = _open_sandbox_transaction(order, notify_url)

    assert api.pay(txn)  # on commit: paysandbox.deliver_notification → the worker's queue
    assert txn.status == TransactionStatus.PAID

    def paid():
        order.refresh_from_db()
        return order.status == OrderStatus.PAID

    assert _wait(worker, paid, 60), f"order still {order.status}; worker log:\n{_output(worker)}"
    assert _wait(worker, lambda: SandboxTransaction.objects.get(pk=txn.pk).notified_at is not None, 15)
    txn.refresh_from_db()
    assert txn.notify_attempts >= 1
    payment = order.payments.get()
    assert (payment.trade_no, payment.source, payment.outcome) == (txn.trade_no, "notify",
                                                                  NotificationOutcome.CREDITED)
    assert order.provider_trade_no == txn.trade_no and order.paid_at is not None
    enrollment.refresh_from_db()
    assert enrollment.status == "enrolled"
    assert services.check_invariants() == []


def test_failed_delivery_is_retried_by_the_worker(worker):
    candidate, enrollment = _confirmed_enrollment()
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    txn = _open_sandbox_transaction(order, CLOSED_PORT_NOTIFY)  # nobody listens on port 9

    assert api.pay(txn)

    def attempts():
        return SandboxTransaction.objects.get(pk=txn.pk).notify_attempts

    assert _wait(worker, lambda: attempts() >= 2, 20), (
        f"notify_attempts={attempts()} after 20 s; worker log:\n{_output(worker)}")
    txn.refresh_from_db()
    assert txn.notified_at is None
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING  # the notification never arrived...
    assert services.payment_check(order=order).status == OrderStatus.PAID  # ...the query credits it
    assert services.check_invariants() == []
