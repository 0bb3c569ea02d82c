"""Notifications and queries (E2, E3): a signed notification credits once; forged, unsigned,
wrong-amount and unknown-order ones are refused with 400 and change nothing; late payments are
credited while seats are free and refunded otherwise; 支付完毕, the browser return and the
reconciliation job ask the platform instead of trusting the browser."""
import datetime
import hashlib
import hmac
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from exams.models import Area, Subject
from payments import services
from payments.exceptions import PaymentRejected
from payments.models import Invoice, NotificationOutcome, Order, Payment, Refund
from payments.providers import InvalidSignature
from payments.sandbox import api, signing
from payments.sandbox.models import SandboxTransaction
from registration import services as registration_services
from registration.models import EnrollmentSeat
from tests.payments.conftest import (
    ENTERPRISE,
    confirmed_enrollment,
    counts,
    make_candidate,
    resigned,
    sandbox_pay,
    sandbox_transaction,
    signed_notification,
)

pytestmark = pytest.mark.django_db
NOTIFY = reverse("payments:notify", args=["sandbox"])


def post_notification(client, data):
    return client.post(NOTIFY, data)


def nothing_changed(order, exam, area, held_sold=((1, 0), (1, 0))):
    order.refresh_from_db()
    assert order.status == "pending" and order.paid_at is None and order.provider_trade_no == ""
    assert order.enrollment.status == "pending_payment"
    assert counts(exam, area) == list(held_sold)
    assert not Payment.objects.exists() and not Invoice.objects.exists() and not Refund.objects.exists()


def expire(order):
    """Let the unpaid time run out and the beat job expire the order."""
    later = timezone.now() + datetime.timedelta(minutes=settings.ORDER_UNPAID_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        assert services.orders_expire_due() == 1
    order.refresh_from_db()
    assert order.status == "expired"


def test_signed_notification_credits_once_and_issues_the_invoice(client, on_commit, candidate, exam, sittings,
                                                                  area):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area, **ENTERPRISE)
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    data = signed_notification(order)

    with on_commit():
        response = post_notification(client, data)

    assert response.status_code == 200 and response.content == b"success"
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at is not None
    assert order.provider_trade_no == data["trade_no"]
    enrollment.refresh_from_db()
    assert enrollment.status == "enrolled"
    assert counts(exam, area) == [(0, 1), (0, 1)]
    assert set(EnrollmentSeat.objects.filter(enrollment=enrollment).values_list("state", flat=True)) == {"sold"}
    payment = Payment.objects.get()
    assert (payment.order, payment.amount, payment.outcome, payment.source, payment.trade_no) == (
        order, Decimal("160.00"), NotificationOutcome.CREDITED, "notify", data["trade_no"])
    invoice = Invoice.objects.get(order=order)
    assert (invoice.kind, invoice.title, invoice.tax_number, invoice.amount, invoice.status) == (
        "enterprise", ENTERPRISE["invoice_title"], ENTERPRISE["invoice_tax_number"], Decimal("160.00"), "issued")
    assert invoice.number == f"FP{timezone.localdate().year}00000001"

    # a replay, the same notification or a fresh one for the same transaction: "success", nothing more
    for replay in (data, api.notification_for(SandboxTransaction.objects.get(trade_no=data["trade_no"]))):
        with on_commit():
            again = post_notification(client, replay)
        assert again.status_code == 200 and again.content == b"success"
    assert Payment.objects.count() == 1 and Invoice.objects.count() == 1 and not Refund.objects.exists()
    assert counts(exam, area) == [(0, 1), (0, 1)]
    order.refresh_from_db()
    assert order.status == "paid"
    assert services.check_invariants() == []


def test_personal_invoice_takes_the_candidates_name_and_no_invoice_when_not_wanted(
        paid_order, candidate, exam, sittings):
    assert not Invoice.objects.filter(order=paid_order).exists()  # the fixture's enrollment wants none
    other = make_candidate("张三", photo=False)
    enrollment = confirmed_enrollment(other, exam, sittings, Area.objects.get(name="青岛"), invoice_wanted=True,
                                      invoice_type="personal", invoice_title="", invoice_tax_number="")
    order = services.order_create(enrollment=enrollment, actor=other, provider="sandbox")
    services.payment_notify(provider="sandbox", data=signed_notification(order))
    invoice = Invoice.objects.get(order=order)
    assert (invoice.kind, invoice.title, invoice.tax_number) == ("personal", "张三", "")
    assert invoice.number == f"FP{timezone.localdate().year}00000001"


@pytest.mark.parametrize("tamper", ["bad-sign", "unsigned", "other-key", "changed-after-signing"])
def test_forged_or_unsigned_notification_is_refused_and_changes_nothing(client, order, exam, area, tamper):
    data = signed_notification(order)
    if tamper == "bad-sign":
        data["sign"] = "0" * 64
    elif tamper == "unsigned":
        del data["sign"], data["sign_type"]
    elif tamper == "other-key":
        fields = {k: v for k, v in data.items() if k not in ("sign", "sign_type")}
        data["sign"] = hmac.new(b"not the platform key", signing.canonical(fields).encode(),
                                hashlib.sha256).hexdigest()
    else:
        data["trade_no"] = "SB-FORGED-0001"

    response = post_notification(client, data)

    assert response.status_code == 400 and response.content == b"fail"
    nothing_changed(order, exam, area)
    with pytest.raises(InvalidSignature):
        services.payment_notify(provider="sandbox", data=data)
    nothing_changed(order, exam, area)


def test_wrong_amount_is_refused_and_the_right_one_still_credits(client, order, exam, area):
    data = signed_notification(order)
    for amount in ("0.01", "159.99", "1600.00"):
        response = post_notification(client, resigned(data, total_amount=amount))
        assert response.status_code == 400 and response.content == b"fail"
        nothing_changed(order, exam, area)
    with pytest.raises(PaymentRejected) as refused:
        services.payment_notify(provider="sandbox", data=resigned(data, total_amount="0.01"))
    assert "amount" in str(refused.value).lower() or "金额" in str(refused.value)

    assert post_notification(client, data).content == b"success"  # no money lost: the real one credits
    order.refresh_from_db()
    assert order.status == "paid" and Payment.objects.get().amount == Decimal("160.00")


def test_unknown_order_is_refused(client, order, exam, area):
    data = signed_notification(order)
    response = post_notification(client, resigned(data, out_trade_no="20990101000000999999"))
    assert response.status_code == 400 and response.content == b"fail"
    response = post_notification(client, resigned(data, trade_no=""))  # no transaction number
    assert response.status_code == 400
    nothing_changed(order, exam, area)


def test_unpaid_status_is_acknowledged_without_crediting(client, order, exam, area):
    txn = sandbox_transaction(order)  # opened, not paid
    response = post_notification(client, api.notification_for(txn))
    assert response.status_code == 200 and response.content == b"success"
    nothing_changed(order, exam, area)


def test_unknown_or_unconfigured_platform_is_refused(client, order, exam, area):
    data = signed_notification(order)
    assert client.post(reverse("payments:notify", args=["paypal"]), data).status_code == 400
    assert client.post(reverse("payments:notify", args=["alipay"]), data).status_code == 400  # not configured
    assert client.get(NOTIFY).status_code == 405
    nothing_changed(order, exam, area)


def test_payment_after_expiry_with_seats_still_free_is_credited_late(client, on_commit, order, exam, area):
    expire(order)
    assert counts(exam, area) == [(0, 0), (0, 0)]

    with on_commit():
        response = post_notification(client, signed_notification(order))

    assert response.content == b"success"
    order.refresh_from_db()
    assert order.status == "paid" and order.late_payment_note == ""
    assert Payment.objects.get().outcome == NotificationOutcome.LATE_CREDITED
    assert order.enrollment.status == "enrolled"
    assert counts(exam, area) == [(0, 1), (0, 1)]
    assert not Refund.objects.exists()
    assert services.check_invariants() == []


def test_payment_after_expiry_when_the_area_filled_is_refunded(logged_in, on_commit, candidate, exam, sittings):
    shanghai = Area.objects.get(name="上海")  # a single seat in the second sitting
    enrollment = confirmed_enrollment(candidate, exam, sittings, shanghai)
    late = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    txn = sandbox_transaction(late)  # the candidate sits on the checkout page…
    expire(late)
    rival = make_candidate("王芳", photo=False)  # …while someone else takes the last seat
    rival_enrollment = confirmed_enrollment(rival, exam, sittings, shanghai)
    rival_order = services.order_create(enrollment=rival_enrollment, actor=rival, provider="sandbox")
    before = counts(exam, shanghai)
    api.pay(txn)

    with on_commit():
        response = post_notification(logged_in, api.notification_for(txn))

    assert response.content == b"success"  # the money is ours to give back: no retry storm
    late.refresh_from_db()
    assert late.status == "expired" and late.late_payment_note
    payment = Payment.objects.get(order=late)
    assert payment.outcome == NotificationOutcome.LATE_REFUNDED
    refund = Refund.objects.get(payment=payment)
    assert (refund.kind, refund.amount, refund.status) == ("late_payment", Decimal("160.00"), "refunded")
    txn.refresh_from_db()
    assert txn.refunded_amount == Decimal("160.00")
    assert counts(exam, shanghai) == before  # the rival keeps the seat, nothing else moved
    rival_order.refresh_from_db()
    assert rival_order.status == "pending"
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    assert not EnrollmentSeat.objects.filter(enrollment=enrollment).exists()
    # the candidate sees what happened, on the payment page and after 支付完毕
    page = logged_in.get(reverse("payments:payment-page", args=[enrollment.pk])).content.decode()
    assert late.late_payment_note in page
    checked = logged_in.post(reverse("payments:order-check", args=[late.number]), follow=True)
    assert late.late_payment_note in [str(m) for m in checked.context["messages"]]
    # a replay of the late notification refunds nothing twice
    with on_commit():
        assert post_notification(logged_in, api.notification_for(txn)).content == b"success"
    assert Refund.objects.count() == 1 and Payment.objects.count() == 1
    # a late refund is not the candidate's one refund (每人只有一次退费机会)
    assert not Refund.objects.filter(kind="candidate").exists()
    assert services.check_invariants() == []


def test_payment_for_a_cancelled_order_after_a_new_order_is_refunded(on_commit, order, candidate, exam, area):
    txn = sandbox_transaction(order)
    services.order_cancel(order=order, actor=candidate)
    enrollment = order.enrollment
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    second = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    api.pay(txn)  # the first checkout page was still open and the candidate paid there

    with on_commit():
        services.payment_notify(provider="sandbox", data=api.notification_for(txn))

    order.refresh_from_db()
    second.refresh_from_db()
    assert order.status == "cancelled" and second.status == "pending"
    assert Payment.objects.get().outcome == NotificationOutcome.LATE_REFUNDED
    assert Refund.objects.get().status == "refunded"
    assert counts(exam, area) == [(1, 0), (1, 0)]  # the new order's seats, held once
    # the new order is paid normally afterwards
    services.payment_notify(provider="sandbox", data=signed_notification(second))
    second.refresh_from_db()
    assert second.status == "paid" and counts(exam, area) == [(0, 1), (0, 1)]
    assert services.check_invariants() == []


@pytest.mark.parametrize("change", ["subjects", "area"])
def test_late_payment_after_the_candidate_chose_again_is_refunded(on_commit, order, candidate, exam, sittings, area,
                                                                 change):
    """A late payment buys only what was ordered: after 取消订单 the candidate chose other subjects or another
    area, so the money goes back instead of buying the new choice."""
    txn = sandbox_transaction(order)  # 160.00 for GB + QMS in 济南
    services.order_cancel(order=order, actor=candidate)
    enrollment = order.enrollment
    qingdao = Area.objects.get(name="青岛")
    if change == "subjects":  # only GB now: 80.00
        registration_services.enrollment_choose_subjects(
            enrollment=enrollment, actor=candidate,
            subject_by_sitting={sittings[0].pk: Subject.objects.get(exam=exam, code="GB").pk, sittings[1].pk: None})
        registration_services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=area.pk)
    else:
        registration_services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=qingdao.pk)
    registration_services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    api.pay(txn)

    with on_commit():
        services.payment_notify(provider="sandbox", data=api.notification_for(txn))

    payment = Payment.objects.get()
    assert payment.outcome == NotificationOutcome.LATE_REFUNDED
    assert Refund.objects.get(payment=payment).status == "refunded"
    order.refresh_from_db()
    enrollment.refresh_from_db()
    assert order.status == "cancelled" and order.late_payment_note
    assert enrollment.status == "confirmed"  # free to order the new choice
    assert counts(exam, area) == [(0, 0), (0, 0)] and counts(exam, qingdao) == [(0, 0), (0, 0)]
    assert services.check_invariants() == []


def test_paid_check_credits_without_a_notification(logged_in, on_commit, order, exam, area):
    url = reverse("payments:order-check", args=[order.number])
    response = logged_in.post(url, follow=True)  # 支付完毕 before paying: nothing arrived
    assert response.redirect_chain[-1][0] == reverse("payments:payment-page", args=[order.enrollment_id])
    assert [m.level_tag for m in response.context["messages"]] == ["info"]
    nothing_changed(order, exam, area)

    sandbox_pay(order)  # paid on the platform; its notification never reaches us
    with on_commit():
        response = logged_in.post(url, follow=True)

    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    order.refresh_from_db()
    assert order.status == "paid"
    payment = Payment.objects.get()
    assert (payment.source, payment.outcome) == ("query", NotificationOutcome.CREDITED)
    assert counts(exam, area) == [(0, 1), (0, 1)]
    with on_commit():
        logged_in.post(url)  # clicked again
    assert Payment.objects.count() == 1 and counts(exam, area) == [(0, 1), (0, 1)]
    assert services.check_invariants() == []


def test_browser_return_with_tampered_parameters_credits_nothing_unless_the_platform_says_paid(
        logged_in, on_commit, order, exam, area):
    url = reverse("payments:order-return", args=[order.number])
    txn = sandbox_transaction(order)
    tampered = {**api.return_params(txn), "trade_status": "TRADE_SUCCESS", "total_amount": "0.01"}
    forged = signing.signed({"out_trade_no": order.number, "trade_no": "SB-FAKE", "trade_status": "TRADE_SUCCESS",
                             "total_amount": "160.00"})  # even correctly signed, the browser proves nothing

    for params in (tampered, forged, api.return_params(txn)):
        response = logged_in.get(url, params)
        assert response.status_code == 302
        assert response["Location"] == reverse("payments:payment-page", args=[order.enrollment_id])
        nothing_changed(order, exam, area)

    api.pay(txn)
    with on_commit():
        logged_in.get(url, {"out_trade_no": order.number, "trade_no": "garbage", "sign": "x"})
    order.refresh_from_db()
    assert order.status == "paid" and order.provider_trade_no == txn.trade_no  # the platform's word, not the URL's
    assert Payment.objects.get().trade_no == txn.trade_no


def test_reconciliation_credits_a_paid_order_whose_notification_was_lost(on_commit, order, exam, area):
    sandbox_pay(order)
    assert services.orders_reconcile() == 0  # too fresh: the notification may still come
    order.refresh_from_db()
    assert order.status == "pending"

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=4), tick=False), on_commit():
        assert services.orders_reconcile() == 1
        assert services.orders_reconcile() == 0

    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.get().source == "query"
    assert counts(exam, area) == [(0, 1), (0, 1)]
    assert services.check_invariants() == []


def test_reconciliation_leaves_unpaid_orders_alone(order, exam, area):
    sandbox_transaction(order)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=4), tick=False):
        assert services.orders_reconcile() == 0
    nothing_changed(order, exam, area)


def test_a_second_transaction_for_a_paid_order_is_refunded_not_credited(on_commit, paid_order, exam, area):
    """Paid twice (two platform transactions for one order): the second payment goes back."""
    with on_commit():
        services.payment_record(provider="sandbox", trade_no="SB-SECOND-PAYMENT", order_number=paid_order.number,
                                amount=Decimal("160.00"), source="notify")
    second = Payment.objects.get(trade_no="SB-SECOND-PAYMENT")
    assert second.outcome == NotificationOutcome.LATE_REFUNDED
    assert Refund.objects.get(payment=second).kind == "late_payment"
    paid_order.refresh_from_db()
    assert paid_order.status == "paid"
    assert counts(exam, area) == [(0, 1), (0, 1)]
    assert services.check_invariants() == []


def test_the_same_transaction_number_on_another_order_credits_nothing(paid_order, candidate, exam, sittings):
    other = make_candidate("赵六", photo=False)
    enrollment = confirmed_enrollment(other, exam, sittings, Area.objects.get(name="青岛"))
    order = services.order_create(enrollment=enrollment, actor=other, provider="sandbox")
    try:
        payment = services.payment_record(provider="sandbox", trade_no=paid_order.provider_trade_no,
                                          order_number=order.number, amount=order.amount, source="notify")
    except PaymentRejected:
        pass
    else:  # treated as a replay of the first order's payment: it credits nothing here
        assert payment.order_id == paid_order.pk
    order.refresh_from_db()
    assert order.status == "pending" and Payment.objects.count() == 1
    assert Order.objects.get(pk=paid_order.pk).status == "paid"


def test_reconciliation_finds_a_late_payment_for_an_expired_order(on_commit, order, exam, area):
    txn = sandbox_transaction(order)
    expire(order)
    api.pay(txn)  # paid on the still-open checkout after expiry; the notification is lost
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=40), tick=False), on_commit():
        assert services.orders_reconcile() == 1
    assert Payment.objects.get().outcome == NotificationOutcome.LATE_CREDITED
    assert counts(exam, area) == [(0, 1), (0, 1)]
    assert services.check_invariants() == []


def test_reconciliation_finds_a_late_payment_for_a_cancelled_order(on_commit, order, candidate):
    txn = sandbox_transaction(order)
    services.order_cancel(order=order, actor=candidate)
    api.pay(txn)  # the checkout page was still open: paid after 取消订单; the notification is lost
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=4), tick=False), on_commit():
        assert services.orders_reconcile() == 1
    payment = Payment.objects.get(trade_no=txn.trade_no)
    assert (payment.source, payment.outcome) == ("query", NotificationOutcome.LATE_CREDITED)
    order.refresh_from_db()
    assert order.status == "paid"
    assert services.check_invariants() == []
