"""Orders (E1): creating one takes the seats and fixes subjects and area; a double click makes one
order; cancelling or expiring gives the seats back exactly once; a full area refuses and takes nothing."""
import datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.exceptions import DomainError
from core.models import AuditEntry
from exams.models import Area, SeatQuota, Subject
from payments import services
from payments.exceptions import OrderNotPayable
from payments.models import Order, OrderLine
from payments.sandbox import signing
from payments.sandbox.models import SandboxTransaction
from registration import services as registration_services
from registration.exceptions import NoSeatsInArea, NotEditable
from registration.models import Enrollment, EnrollmentSeat
from tests.payments.conftest import confirmed_enrollment, counts, info, make_candidate, signed_notification

pytestmark = pytest.mark.django_db


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_order_takes_the_seats_and_fixes_subjects_and_area(enrollment, candidate, exam, sittings, area):
    before = counts(exam, area)

    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")

    assert order.status == "pending" and order.provider == "sandbox"
    assert counts(exam, area) == [(held + 1, sold) for held, sold in before]
    enrollment.refresh_from_db()
    assert enrollment.status == "pending_payment"
    assert EnrollmentSeat.objects.filter(enrollment=enrollment, state="held").count() == 2
    # amount: the sum of the subjects' fees, as an exact decimal; one line per subject
    order.refresh_from_db()
    assert isinstance(order.amount, Decimal) and order.amount == Decimal("160.00")
    lines = list(order.lines.order_by("sitting__starts_at"))
    assert [(line.sitting, line.subject.code, line.fee) for line in lines] == [
        (sittings[0], "GB", Decimal("80.00")), (sittings[1], "QMS", Decimal("80.00"))]
    assert order.amount == sum(line.fee for line in lines)
    unpaid_for = order.expires_at - order.created_at
    assert abs(unpaid_for - datetime.timedelta(minutes=settings.ORDER_UNPAID_MINUTES)) < datetime.timedelta(seconds=2)
    # the order fixes subjects, area and information (订单一旦生成，则不允许修改所选考区及科目信息)
    other_area = Area.objects.get(name="青岛")
    with pytest.raises(NotEditable):
        registration_services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=other_area.pk)
    with pytest.raises(NotEditable):
        registration_services.enrollment_choose_subjects(
            enrollment=enrollment, actor=candidate,
            subject_by_sitting={sittings[0].pk: Subject.objects.get(exam=exam, code="GB").pk, sittings[1].pk: None})
    with pytest.raises(NotEditable):
        registration_services.enrollment_save_info(enrollment=enrollment, actor=candidate, data=info())
    with pytest.raises(DomainError):
        registration_services.enrollment_withdraw(enrollment=enrollment, actor=candidate)
    enrollment.refresh_from_db()
    assert enrollment.area == area and enrollment.choices.count() == 2
    assert counts(exam, area) == [(held + 1, sold) for held, sold in before]
    assert services.check_invariants() == []


def test_one_subject_makes_one_line(candidate, exam, sittings, area):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area, second=None)
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    order.refresh_from_db()
    assert order.amount == Decimal("80.00")
    assert [(line.subject.code, line.fee) for line in order.lines.all()] == [("GB", Decimal("80.00"))]
    assert counts(exam, area) == [(1, 0), (0, 0)]


def test_double_click_returns_the_same_order_and_holds_the_seats_once(enrollment, candidate, exam, area):
    first = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    second = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    assert second.pk == first.pk
    assert Order.objects.filter(enrollment=enrollment).count() == 1
    assert OrderLine.objects.filter(order=first).count() == 2
    assert counts(exam, area) == [(1, 0), (1, 0)]
    assert EnrollmentSeat.objects.filter(enrollment=enrollment).count() == 2


def test_unknown_platform_is_refused_and_takes_nothing(enrollment, candidate, exam, area):
    with pytest.raises(OrderNotPayable):
        services.order_create(enrollment=enrollment, actor=candidate, provider="alipay")  # not configured
    with pytest.raises(OrderNotPayable):
        services.order_create(enrollment=enrollment, actor=candidate, provider="paypal")
    assert not Order.objects.exists()
    assert counts(exam, area) == [(0, 0), (0, 0)]


def test_cancel_gives_the_seats_back_and_reopens_editing(order, enrollment, candidate, exam, area):
    services.order_cancel(order=order, actor=candidate)

    assert order.status == "cancelled" and order.closed_at is not None
    assert counts(exam, area) == [(0, 0), (0, 0)]
    assert not EnrollmentSeat.objects.filter(enrollment=enrollment).exists()
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    with pytest.raises(OrderNotPayable):  # a second click on 取消订单
        services.order_cancel(order=order, actor=candidate)
    assert counts(exam, area) == [(0, 0), (0, 0)]
    # editable again: another area, confirm again, a new order holds seats there
    other = Area.objects.get(name="青岛")
    registration_services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=other.pk)
    registration_services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    again = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    assert again.pk != order.pk
    assert counts(exam, other) == [(1, 0), (1, 0)] and counts(exam, area) == [(0, 0), (0, 0)]
    assert services.check_invariants() == []


def test_unpaid_order_expires_after_the_configured_time_and_gives_the_seats_back_once(
        order, enrollment, exam, area):
    start = timezone.now()
    with time_machine.travel(start + datetime.timedelta(minutes=settings.ORDER_UNPAID_MINUTES - 1), tick=False):
        assert services.orders_expire_due() == 0
    assert counts(exam, area) == [(1, 0), (1, 0)]

    with time_machine.travel(start + datetime.timedelta(minutes=settings.ORDER_UNPAID_MINUTES + 1), tick=False):
        assert services.orders_expire_due() == 1
        assert services.orders_expire_due() == 0  # the beat runs again: nothing more is given back

    order.refresh_from_db()
    assert order.status == "expired" and order.closed_at is not None
    assert counts(exam, area) == [(0, 0), (0, 0)]
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    with pytest.raises(OrderNotPayable):  # an expired order cannot be cancelled any more
        services.order_cancel(order=order, actor=enrollment.candidate)
    assert counts(exam, area) == [(0, 0), (0, 0)]
    assert services.check_invariants() == []


def test_area_filled_up_meanwhile_refuses_the_order_and_takes_nothing(candidate, exam, sittings):
    shanghai = Area.objects.get(name="上海")  # one seat in the second sitting
    first = confirmed_enrollment(candidate, exam, sittings, shanghai)
    rival = make_candidate("王芳", photo=False)
    second = confirmed_enrollment(rival, exam, sittings, shanghai)
    services.order_create(enrollment=first, actor=candidate, provider="sandbox")
    before = counts(exam, shanghai)
    audit_entries = AuditEntry.objects.count()

    with pytest.raises(NoSeatsInArea) as refused:
        services.order_create(enrollment=second, actor=rival, provider="sandbox")

    assert AuditEntry.objects.count() == audit_entries  # refused before anything was written

    assert "第二场" in refused.value.message and refused.value.full_sittings == ["第二场"]
    assert not Order.objects.filter(enrollment=second).exists()
    assert counts(exam, shanghai) == before
    assert not EnrollmentSeat.objects.filter(enrollment=second).exists()
    second.refresh_from_db()
    assert second.status == "confirmed"
    assert services.check_invariants() == []


def test_last_seat_lost_between_the_check_and_the_take_undoes_the_order_and_names_the_full_sitting(
        candidate, exam, sittings, monkeypatch):
    """The race the look-ahead cannot see: another take commits between the check and the
    conditional UPDATE. Everything already written (order, lines, seats, status, audit) is rolled
    back, and the message is computed afterwards, from the figures as they are then."""
    shanghai = Area.objects.get(name="上海")  # one seat in the second sitting
    first = confirmed_enrollment(candidate, exam, sittings, shanghai)
    rival = make_candidate("王芳", photo=False)
    second = confirmed_enrollment(rival, exam, sittings, shanghai)
    services.order_create(enrollment=first, actor=candidate, provider="sandbox")  # the last seat of 第二场
    seen = []

    def check_that_saw_the_seat_still_free(*, enrollment, choices=None):
        quota_ids = registration_services._quota_ids(enrollment, enrollment.area_id)
        seen.append(quota_ids)
        return quota_ids

    monkeypatch.setattr(registration_services, "enrollment_seats_check", check_that_saw_the_seat_still_free)
    before = counts(exam, shanghai)
    audit_entries = AuditEntry.objects.count()

    with pytest.raises(NoSeatsInArea) as refused:
        services.order_create(enrollment=second, actor=rival, provider="sandbox")

    assert seen, "the order went through the check"
    assert refused.value.full_sittings == ["第二场"] and "第二场" in refused.value.message
    assert "第一场" not in refused.value.message  # its seat, taken by the UPDATE before, was given back
    assert not Order.objects.filter(enrollment=second).exists()
    assert not OrderLine.objects.filter(order__enrollment=second).exists()
    assert not EnrollmentSeat.objects.filter(enrollment=second).exists()
    assert AuditEntry.objects.count() == audit_entries
    assert counts(exam, shanghai) == before
    second.refresh_from_db()
    assert second.status == "confirmed"
    assert services.check_invariants() == []


# --------------------------------------------------------------------------- pages


def test_payment_page_shows_area_subjects_fees_total_and_refund_window(logged_in, enrollment, exam):
    page = logged_in.get(reverse("payments:payment-page", args=[enrollment.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "济南" in text
    assert "认证通用基础" in text and "QMS 基础知识" in text
    assert text.count("80.00") >= 2
    assert 'data-testid="pay-total">160.00<' in text
    assert local(exam.refund_opens_at) in text and local(exam.refund_closes_at) in text
    assert 'data-testid="pay-online"' in text


def test_posting_the_order_redirects_to_the_sandbox_gateway(logged_in, enrollment, exam, area):
    response = logged_in.post(reverse("payments:order-create", args=[enrollment.pk]), {"provider": "sandbox"})

    assert response.status_code == 302
    order = Order.objects.get(enrollment=enrollment)
    location = urlsplit(response["Location"])
    assert location.path == reverse("paysandbox:gateway")
    params = dict(parse_qsl(location.query))
    assert params["out_trade_no"] == order.number and params["total_amount"] == "160.00"
    assert signing.verify(params)
    assert params["notify_url"].endswith(reverse("payments:notify", args=["sandbox"]))
    assert params["return_url"].endswith(reverse("payments:order-return", args=[order.number]))
    # the platform's checkout page opens with it
    checkout = logged_in.get(response["Location"])
    assert checkout.status_code == 200
    assert SandboxTransaction.objects.get(merchant_order_no=order.number).amount == Decimal("160.00")
    # a second click on 网上支付 goes to the same order
    again = logged_in.post(reverse("payments:order-create", args=[enrollment.pk]), {"provider": "sandbox"})
    assert again.status_code == 302 and order.number in again["Location"]
    assert Order.objects.filter(enrollment=enrollment).count() == 1
    assert counts(exam, area) == [(1, 0), (1, 0)]
    # the payment page now shows the order with 去支付 / 支付完毕 / 取消订单
    page = logged_in.get(reverse("payments:payment-page", args=[enrollment.pk])).content.decode()
    assert order.number in page and 'data-testid="pay-done"' in page


def test_order_with_an_unknown_platform_goes_back_to_the_page_with_a_message(logged_in, enrollment):
    response = logged_in.post(reverse("payments:order-create", args=[enrollment.pk]), {"provider": "paypal"},
                              follow=True)
    assert response.redirect_chain[-1][0] == reverse("payments:payment-page", args=[enrollment.pk])
    assert [str(m) for m in response.context["messages"]]
    assert not Order.objects.exists()


def test_cancel_view_gives_the_seats_back(logged_in, order, enrollment, exam, area):
    response = logged_in.post(reverse("payments:order-cancel", args=[order.number]))
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:payment-page", args=[enrollment.pk])
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert counts(exam, area) == [(0, 0), (0, 0)]
    # a cancelled order cannot be paid from our side: 去支付 leads back to the payment page
    go = logged_in.get(reverse("payments:order-go", args=[order.number]))
    assert go["Location"] == reverse("payments:payment-page", args=[enrollment.pk])


def test_another_candidates_enrollment_and_order_are_not_found(client, order, enrollment, exam, area):
    stranger = make_candidate("陌生人", photo=False)
    client.force_login(stranger)

    assert client.get(reverse("payments:payment-page", args=[enrollment.pk])).status_code == 404
    assert client.post(reverse("payments:order-create", args=[enrollment.pk]),
                       {"provider": "sandbox"}).status_code == 404
    assert client.get(reverse("payments:order-go", args=[order.number])).status_code == 404
    assert client.post(reverse("payments:order-cancel", args=[order.number])).status_code == 404
    assert client.post(reverse("payments:order-check", args=[order.number])).status_code == 404
    assert client.get(reverse("payments:order-return", args=[order.number])).status_code == 404
    assert client.get(reverse("payments:refund", args=[enrollment.pk])).status_code == 404
    assert client.get(reverse("payments:change-city", args=[enrollment.pk])).status_code == 404

    order.refresh_from_db()
    assert order.status == "pending"
    assert counts(exam, area) == [(1, 0), (1, 0)]
    assert Enrollment.objects.get(pk=enrollment.pk).status == "pending_payment"


def test_pages_need_a_login(client, enrollment):
    response = client.get(reverse("payments:payment-page", args=[enrollment.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
    assert SeatQuota.objects.filter(held__gt=0).count() == 0


def test_orders_created_in_the_same_second_get_distinct_numbers(candidate, exam, sittings, area):
    """At the opening rush hundreds of orders share a second: numbers must never clash (no 500)."""
    first = confirmed_enrollment(candidate, exam, sittings, area)
    rival = make_candidate("王芳", photo=False)
    second = confirmed_enrollment(rival, exam, sittings, area)
    with time_machine.travel(timezone.now(), tick=False):
        one = services.order_create(enrollment=first, actor=candidate, provider="sandbox")
        other = services.order_create(enrollment=second, actor=rival, provider="sandbox")
    assert one.number != other.number
    assert counts(exam, area) == [(2, 0), (2, 0)]


# --------------------------------------------------------------------------- hot rows


def writes_after_the_first_quota_update(queries) -> list[str]:
    """The statements between the first lock of a seat quota (its UPDATE, or a locking read) and the end of the service's
    transaction (its COMMIT, or inside the test's transaction the release of its first savepoint),
    but for the other quota UPDATEs and savepoint bookkeeping: while they run, the quota rows every
    candidate of the area wants stay locked."""
    def locks_quotas(sql: str) -> bool:
        return sql.startswith('UPDATE "exams_seatquota"') or (
            sql.startswith("SELECT") and 'FROM "exams_seatquota"' in sql and sql.endswith("FOR UPDATE"))

    sqls = [query["sql"] for query in queries]
    first = next(i for i, sql in enumerate(sqls) if locks_quotas(sql))
    open_savepoints = []
    for sql in sqls[:first]:
        if sql.startswith("SAVEPOINT"):
            open_savepoints.append(sql.split()[1])
        elif sql.startswith(("RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            name = sql.split()[-1]
            del open_savepoints[open_savepoints.index(name):]
    outer = f"RELEASE SAVEPOINT {open_savepoints[0]}" if open_savepoints else "COMMIT"
    end = next((i for i, sql in enumerate(sqls[first:], first) if sql in (outer, "COMMIT")), len(sqls))
    return [sql for sql in sqls[first:end] if not locks_quotas(sql) and not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_the_hot_quota_rows_are_written_last_by_takes_cancellations_payments_moves_and_refunds(
        enrollment, candidate, exam):
    """At the rush every seat take, cancellation, payment, change of city and refund of an area writes
    the same quota rows, which stay locked until the commit: each writes them after everything else."""
    with CaptureQueriesContext(connection) as take:
        first = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    assert writes_after_the_first_quota_update(take.captured_queries) == []

    with CaptureQueriesContext(connection) as cancel:
        services.order_cancel(order=first, actor=candidate)
    assert writes_after_the_first_quota_update(cancel.captured_queries) == []
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"

    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")

    with CaptureQueriesContext(connection) as payment:
        services.payment_notify(provider="sandbox", data=signed_notification(order))
    assert writes_after_the_first_quota_update(payment.captured_queries) == []
    order.refresh_from_db()
    enrollment.refresh_from_db()
    assert order.status == "paid" and enrollment.status == "enrolled"

    beijing = Area.objects.get(name="北京")
    with CaptureQueriesContext(connection) as move:
        services.change_area(enrollment=enrollment, actor=candidate, area_id=beijing.pk)
    assert writes_after_the_first_quota_update(move.captured_queries) == []
    enrollment.refresh_from_db()
    assert enrollment.area_id == beijing.pk and counts(exam, beijing) == [(0, 1), (0, 1)]

    with CaptureQueriesContext(connection) as refund:
        services.refund_request(enrollment=enrollment, actor=candidate)
    assert writes_after_the_first_quota_update(refund.captured_queries) == []
    enrollment.refresh_from_db()
    assert enrollment.status == "refunded" and counts(exam, beijing) == [(0, 0), (0, 0)]
    assert services.check_invariants() == []
