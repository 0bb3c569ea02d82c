"""A candidate with a confirmed enrollment pays on the sandbox platform, changes city and asks for a refund,
in headless Chromium against the live server (tasks in-process: the return query credits the payment)."""
import re

import pytest
from captcha.models import CaptchaStore
from django.urls import reverse
from playwright.sync_api import expect

from exams import demo
from exams.models import Area, Sitting
from payments import services
from payments.models import Order, OrderStatus, Refund, RefundStatus
from payments.sandbox.models import SandboxTransaction, TransactionStatus
from registration.models import EnrollmentSeat, SeatState
from tests.accounts.factories import PASSWORD, EducationFactory, UserFactory
from tests.photos.factories import approved_photo
from tests.payments.conftest import confirmed_enrollment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _confirmed_enrollment(candidate, exam):
    sittings = list(Sitting.objects.filter(exam=exam).order_by("starts_at"))
    return confirmed_enrollment(candidate, exam, sittings, Area.objects.get(name="济南"))


def _log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", PASSWORD)
    key = page.locator("input[name='captcha_0']").input_value()
    page.fill("input[name='captcha_1']", CaptchaStore.objects.get(hashkey=key).response)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/enroll/$"))


def test_candidate_pays_changes_city_and_gets_a_refund(page, screenshot):
    exam = demo.seed()
    candidate = UserFactory(username="payer01", name="韩梅梅")
    EducationFactory(user=candidate)
    approved_photo(candidate)
    enrollment = _confirmed_enrollment(candidate, exam)
    jinan, qingdao = Area.objects.get(name="济南"), Area.objects.get(name="青岛")

    _log_in(page, "payer01")

    # progress page → 网上缴费
    page.goto(reverse("registration:enrollment-progress", args=[enrollment.pk]))
    page.get_by_test_id("next-step").click()
    page.wait_for_url(re.compile(rf"/pay/enrollment/{enrollment.pk}/$"))
    expect(page.get_by_test_id("pay-area")).to_have_text("济南")
    expect(page.get_by_test_id("pay-total")).to_have_text("160.00")
    screenshot("payment-page")

    # 网上支付 (second confirmation) → the sandbox checkout
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("pay-online").click()
    page.wait_for_url(re.compile(r"/sandbox-pay/gateway/\?"))
    order = Order.objects.get(enrollment=enrollment)
    assert order.status == OrderStatus.PENDING and order.provider == "sandbox" and str(order.amount) == "160.00"
    enrollment.refresh_from_db()
    assert enrollment.status == "pending_payment"
    txn = SandboxTransaction.objects.get(merchant_order_no=order.number)
    assert txn.notify_url.endswith(reverse("payments:notify", args=["sandbox"]))
    expect(page.get_by_test_id("sandbox-amount")).to_contain_text("160.00")
    screenshot("sandbox-checkout")

    # confirm the payment on the platform, then back to the merchant
    page.locator(f"form[action='{reverse('paysandbox:pay', args=[txn.trade_no])}'] button[type=submit]").click()
    page.get_by_test_id("sandbox-return").click()
    page.wait_for_url(re.compile(rf"/pay/enrollment/{enrollment.pk}/$"))
    expect(page.get_by_test_id("paid")).to_contain_text(order.number)
    order.refresh_from_db()
    txn.refresh_from_db()
    assert txn.status == TransactionStatus.PAID
    assert order.status == OrderStatus.PAID and order.provider_trade_no == txn.trade_no
    assert order.payments.count() == 1
    enrollment.refresh_from_db()
    assert enrollment.status == "enrolled"
    assert services.check_invariants() == []

    # 更换考点城市: from the progress page's link
    page.goto(reverse("registration:enrollment-progress", args=[enrollment.pk]))
    page.locator(f"a[href='{reverse('payments:change-city', args=[enrollment.pk])}']").click()
    page.wait_for_url(re.compile(rf"/pay/enrollment/{enrollment.pk}/change-city/$"))
    expect(page.get_by_test_id("current-area")).to_have_text("济南")
    page.select_option("#id_area", str(qingdao.pk))
    screenshot("change-city")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/enroll/{enrollment.pk}/$"))
    enrollment.refresh_from_db()
    assert enrollment.area_id == qingdao.pk != jinan.pk
    seats = EnrollmentSeat.objects.filter(enrollment=enrollment, state=SeatState.SOLD).select_related("quota")
    assert seats.count() == 2 and {seat.quota.area_id for seat in seats} == {qingdao.pk}
    assert services.check_invariants() == []

    # 退费: one request with a second confirmation; in-process the refund is sent on commit
    page.goto(reverse("payments:refund", args=[enrollment.pk]))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("refund-request").click()
    expect(page.get_by_test_id("refund-status")).to_have_text("已退费")
    screenshot("refund")
    refund = Refund.objects.get(order=order)
    assert refund.status == RefundStatus.REFUNDED and refund.amount == order.amount
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    txn.refresh_from_db()
    assert txn.refunded_amount == txn.amount
    assert not EnrollmentSeat.objects.filter(enrollment=enrollment, state=SeatState.SOLD).exists()
    assert services.check_invariants() == []
