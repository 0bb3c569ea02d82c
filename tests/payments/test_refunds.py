"""Refunds (E4) and change of city (D9): one full refund per person per exam, only in the window,
seats back at once, invoice voided, failed refunds kept visible and retried; a change of city moves
every paid seat in one step or nothing."""
import datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from exams.models import Area
from payments import services
from payments.exceptions import RefundNotAllowed
from payments.models import Invoice, Order, Payment, Refund
from payments.sandbox.models import SandboxRefund, SandboxTransaction
from registration.exceptions import InvalidChoice, NoSeatsInArea, NotEditable
from registration.models import Enrollment, EnrollmentSeat
from tests.payments.conftest import (
    ENTERPRISE,
    confirmed_enrollment,
    counts,
    make_candidate,
    signed_notification,
)

pytestmark = pytest.mark.django_db


def pay(enrollment, candidate, on_commit):
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    with on_commit():
        services.payment_notify(provider="sandbox", data=signed_notification(order))
    order.refresh_from_db()
    assert order.status == "paid"
    return order


@pytest.fixture
def paid(candidate, exam, sittings, area, on_commit):
    """A paid enrollment that wanted an enterprise invoice."""
    enrollment = confirmed_enrollment(candidate, exam, sittings, area, **ENTERPRISE)
    order = pay(enrollment, candidate, on_commit)
    enrollment.refresh_from_db()
    assert Invoice.objects.get(order=order).status == "issued"
    return enrollment, order


def test_refund_in_the_window_gives_the_seats_back_and_the_money_in_full(paid, candidate, exam, area, on_commit):
    enrollment, order = paid
    assert counts(exam, area) == [(0, 1), (0, 1)]

    with on_commit():
        refund = services.refund_request(enrollment=enrollment, actor=candidate)

    assert counts(exam, area) == [(0, 0), (0, 0)]
    assert not EnrollmentSeat.objects.filter(enrollment=enrollment).exists()
    enrollment.refresh_from_db()
    assert enrollment.status == "refunded"
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == "voided" and invoice.voided_at is not None
    voided = AuditEntry.objects.get(action="invoice.voided", object_id=str(invoice.pk))  # through the workflow core
    assert (voided.before, voided.after) == ({"status": "issued"}, {"status": "voided", "refund": refund.pk})
    refund.refresh_from_db()
    assert (refund.kind, refund.amount, refund.status, refund.attempts) == ("candidate", Decimal("160.00"),
                                                                            "refunded", 1)
    assert refund.refunded_at is not None and refund.provider_refund_no == f"RF{refund.pk:010d}"
    assert refund.payment == Payment.objects.get(order=order)
    order.refresh_from_db()
    assert order.status == "refunded"
    txn = SandboxTransaction.objects.get(merchant_order_no=order.number)
    assert txn.refunded_amount == Decimal("160.00") and SandboxRefund.objects.count() == 1
    assert services.check_invariants() == []

    with pytest.raises(RefundNotAllowed):  # a second click
        services.refund_request(enrollment=enrollment, actor=candidate)
    assert Refund.objects.count() == 1 and SandboxRefund.objects.count() == 1


def test_refund_view_asks_and_shows_the_status(logged_in, paid, on_commit):
    enrollment, order = paid
    url = reverse("payments:refund", args=[enrollment.pk])
    page = logged_in.get(url).content.decode()
    assert 'data-testid="refund-request"' in page and "160.00" in page

    with on_commit():
        response = logged_in.post(url)

    assert response.status_code == 302 and response["Location"] == url
    page = logged_in.get(url).content.decode()
    assert 'data-testid="refund-status"' in page and order.number in page
    again = logged_in.post(url)  # the form posted twice (back button)
    assert again.status_code == 409
    assert Refund.objects.count() == 1


def test_refund_outside_the_window_is_refused_and_changes_nothing(paid, candidate, exam, area):
    enrollment, order = paid
    after_the_window = exam.refund_closes_at + datetime.timedelta(minutes=1)
    with time_machine.travel(after_the_window, tick=False), pytest.raises(RefundNotAllowed):
        services.refund_request(enrollment=enrollment, actor=candidate)
    exam.refund_opens_at = timezone.now() + datetime.timedelta(days=1)
    exam.refund_closes_at = timezone.now() + datetime.timedelta(days=2)
    exam.save()
    enrollment.exam.refresh_from_db()
    with pytest.raises(RefundNotAllowed):  # not open yet
        services.refund_request(enrollment=enrollment, actor=candidate)
    exam.refund_opens_at = exam.refund_closes_at = None
    exam.save()
    enrollment.exam.refresh_from_db()
    with pytest.raises(RefundNotAllowed):  # no window at all
        services.refund_request(enrollment=enrollment, actor=candidate)

    assert not Refund.objects.exists()
    order.refresh_from_db()
    enrollment.refresh_from_db()
    assert order.status == "paid" and enrollment.status == "enrolled"
    assert counts(exam, area) == [(0, 1), (0, 1)]
    assert Invoice.objects.get(order=order).status == "issued"


def test_refund_view_outside_the_window_answers_409(logged_in, paid, exam):
    enrollment, _order = paid
    exam.refund_closes_at = timezone.now() - datetime.timedelta(minutes=1)
    exam.save()
    response = logged_in.post(reverse("payments:refund", args=[enrollment.pk]))
    assert response.status_code == 409
    assert not Refund.objects.exists()


def test_unpaid_enrollment_has_nothing_to_refund(order, enrollment, candidate, exam, area):
    with pytest.raises(RefundNotAllowed):
        services.refund_request(enrollment=enrollment, actor=candidate)
    assert counts(exam, area) == [(1, 0), (1, 0)]
    assert not Refund.objects.exists()


def test_after_a_refund_the_candidate_enrolls_again_but_has_no_second_refund(paid, candidate, exam, sittings, area,
                                                                             on_commit):
    enrollment, _order = paid
    with on_commit():
        services.refund_request(enrollment=enrollment, actor=candidate)

    again = confirmed_enrollment(candidate, exam, sittings, Area.objects.get(name="青岛"))
    assert again.pk != enrollment.pk
    order = pay(again, candidate, on_commit)
    again.refresh_from_db()
    assert again.status == "enrolled"
    assert counts(exam, Area.objects.get(name="青岛")) == [(0, 1), (0, 1)]

    with pytest.raises(RefundNotAllowed) as refused:
        services.refund_request(enrollment=again, actor=candidate)
    assert "one refund" in str(refused.value) or "退费机会" in str(refused.value)
    order.refresh_from_db()
    again.refresh_from_db()
    assert order.status == "paid" and again.status == "enrolled"
    assert counts(exam, Area.objects.get(name="青岛")) == [(0, 1), (0, 1)]
    assert Refund.objects.count() == 1
    assert services.check_invariants() == []


def test_failed_refund_is_visible_and_retried(settings, logged_in, paid, candidate, exam, area, on_commit):
    enrollment, order = paid
    settings.PAYMENT_SANDBOX_FAIL_REFUNDS = True

    with on_commit():
        refund = services.refund_request(enrollment=enrollment, actor=candidate)

    refund.refresh_from_db()
    assert refund.status == "failed" and refund.attempts == 1
    assert "20000" in refund.last_error and "unavailable" in refund.last_error
    order.refresh_from_db()
    assert order.status == "refunding"
    assert counts(exam, area) == [(0, 0), (0, 0)]  # the seats went back at once all the same
    page = logged_in.get(reverse("payments:refund", args=[enrollment.pk])).content.decode()
    assert f'data-testid="refund-status">{refund.get_status_display()}<' in page
    staff = make_candidate("财务", photo=False)
    type(staff).objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    changelist = client.get(reverse("admin:payments_refund_changelist")).content.decode()
    assert refund.last_error in changelist  # staff see why it failed
    assert services.check_invariants() == []  # money being refunded is still counted
    with on_commit():
        services.refunds_retry_failed()  # the platform still fails: stays failed, tried again
    refund.refresh_from_db()
    assert refund.status == "failed" and refund.attempts == 2

    settings.PAYMENT_SANDBOX_FAIL_REFUNDS = False
    with on_commit():
        assert services.refunds_retry_failed() == 1

    refund.refresh_from_db()
    assert refund.status == "refunded" and refund.attempts == 3 and refund.refunded_at is not None
    order.refresh_from_db()
    assert order.status == "refunded"
    assert services.refunds_retry_failed() == 0
    assert services.refund_process(refund_id=refund.pk) == "refunded"  # run twice: nothing moves again
    txn = SandboxTransaction.objects.get(merchant_order_no=order.number)
    assert txn.refunded_amount == Decimal("160.00") and SandboxRefund.objects.count() == 1
    assert services.check_invariants() == []


# --------------------------------------------------------------------------- change of city


def test_change_of_city_moves_every_paid_seat_at_once(paid, candidate, exam, area):
    enrollment, order = paid
    qingdao = Area.objects.get(name="青岛")
    before = counts(exam, qingdao)

    services.change_area(enrollment=enrollment, actor=candidate, area_id=qingdao.pk)

    enrollment.refresh_from_db()
    assert enrollment.area == qingdao and enrollment.status == "enrolled"
    assert counts(exam, area) == [(0, 0), (0, 0)]
    assert counts(exam, qingdao) == [(held, sold + 1) for held, sold in before]
    assert set(EnrollmentSeat.objects.filter(enrollment=enrollment).values_list("quota__area", flat=True)) \
        == {qingdao.pk}
    order.refresh_from_db()
    assert order.status == "paid"
    assert services.check_invariants() == []
    with pytest.raises(InvalidChoice):  # already there
        services.change_area(enrollment=enrollment, actor=candidate, area_id=qingdao.pk)


def test_change_of_city_to_an_area_with_a_full_sitting_changes_nothing(paid, candidate, exam, sittings, area,
                                                                       on_commit):
    enrollment, _order = paid
    shanghai = Area.objects.get(name="上海")  # a single seat in the second sitting: someone pays for it
    rival = make_candidate("王芳", photo=False)
    pay(confirmed_enrollment(rival, exam, sittings, shanghai), rival, on_commit)
    before = counts(exam, shanghai)

    with pytest.raises(NoSeatsInArea) as refused:
        services.change_area(enrollment=enrollment, actor=candidate, area_id=shanghai.pk)

    assert refused.value.full_sittings == ["第二场"] and "第二场" in refused.value.message
    assert "第一场" not in refused.value.message.split("。")[0]
    enrollment.refresh_from_db()
    assert enrollment.area == area
    assert counts(exam, area) == [(0, 1), (0, 1)]
    assert counts(exam, shanghai) == before
    assert services.check_invariants() == []


def test_change_of_city_view_answers_409_with_the_message(logged_in, paid, candidate, exam, sittings, area,
                                                          on_commit):
    enrollment, _order = paid
    shanghai = Area.objects.get(name="上海")
    rival = make_candidate("王芳", photo=False)
    pay(confirmed_enrollment(rival, exam, sittings, shanghai), rival, on_commit)
    url = reverse("payments:change-city", args=[enrollment.pk])

    response = logged_in.post(url, {"area": shanghai.pk})

    assert response.status_code == 409
    assert "第二场" in response.content.decode()
    assert "第二场" in " ".join(response.context["form"].errors["area"])
    enrollment.refresh_from_db()
    assert enrollment.area == area and counts(exam, area) == [(0, 1), (0, 1)]

    qingdao = Area.objects.get(name="青岛")
    response = logged_in.post(url, {"area": qingdao.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("registration:enrollment-progress", args=[enrollment.pk])
    enrollment.refresh_from_db()
    assert enrollment.area == qingdao and counts(exam, area) == [(0, 0), (0, 0)]
    assert logged_in.post(url, {"area": "not-an-area"}).status_code == 400


def test_change_of_city_needs_a_paid_registration(order, enrollment, candidate, exam, area):
    with pytest.raises(NotEditable):
        services.change_area(enrollment=enrollment, actor=candidate, area_id=Area.objects.get(name="青岛").pk)
    assert counts(exam, area) == [(1, 0), (1, 0)]
    assert Order.objects.get().status == "pending"
    assert Enrollment.objects.get().area == area


def test_a_refund_whose_task_was_lost_is_sent_by_the_retry_job(paid, candidate, exam, area, on_commit):
    """The refund's task was never delivered (e.g. queued while the broker was down): the beat job
    sends refunds still "requested" after five minutes, not only failed ones."""
    enrollment, order = paid
    refund = services.refund_request(enrollment=enrollment, actor=candidate)  # its on-commit task is dropped
    refund.refresh_from_db()
    assert refund.status == "requested"
    with on_commit():
        assert services.refunds_retry_failed() == 0  # just requested: its task may still be on its way
    later = timezone.now() + datetime.timedelta(minutes=6)
    with time_machine.travel(later, tick=False), on_commit():
        assert services.refunds_retry_failed() == 1
    refund.refresh_from_db()
    assert refund.status == "refunded"
    order.refresh_from_db()
    assert order.status == "refunded" and services.check_invariants() == []


def test_change_of_city_is_a_workflow_action_offered_only_while_registration_is_open(logged_in, paid, candidate,
                                                                                    exam, area):
    """The progress page and the change-city page offer the move exactly when the workflow allows it;
    the move writes one audit entry with the areas before and after."""
    enrollment, _order = paid
    progress = reverse("registration:enrollment-progress", args=[enrollment.pk])
    page = reverse("payments:change-city", args=[enrollment.pk])
    assert 'data-testid="change-city"' in logged_in.get(progress).content.decode()
    assert 'name="area"' in logged_in.get(page).content.decode()

    qingdao = Area.objects.get(name="青岛")
    services.change_area(enrollment=enrollment, actor=candidate, area_id=qingdao.pk)
    entry = AuditEntry.objects.get(action="enrollment.area_changed", object_id=str(enrollment.pk))
    assert (entry.before, entry.after, entry.actor) == ({"status": "enrolled", "area": area.pk},
                                                       {"status": "enrolled", "area": qingdao.pk}, candidate)

    type(exam).objects.filter(pk=exam.pk).update(registration_closes_at=timezone.now() - datetime.timedelta(minutes=1))
    assert 'data-testid="change-city"' not in logged_in.get(progress).content.decode()
    closed = logged_in.get(page).content.decode()
    assert 'name="area"' not in closed and "alert-secondary" in closed
