"""A new person's whole journey on the real pages, in headless Chromium against the live server:
sign up → photo → exam → notice → information → subjects → area → confirm → sandbox payment →
change city → refund → (with the print window open) the admission ticket. It is walked on a desktop
(1280×900) and on a phone (390×844): on every page the heading is in the first screen, and the links
of the header and of the side menu are reached through the menu (on the phone: the header's menu button).

The main pages are saved to docs/screenshots/journey-*.png (desktop), which the README shows, and
docs/screenshots/phone-*.png (phone)."""
import datetime
import re
from pathlib import Path

import pytest
from captcha.models import CaptchaStore
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.demo import resident_id
from accounts.models import SmsMessage, User
from exams import demo
from exams.models import Area
from payments import services
from payments.models import Order, OrderStatus, Refund, RefundStatus
from payments.sandbox.models import SandboxTransaction, TransactionStatus
from photos import samples
from payments import demo as payments_demo
from photos.models import Photo, PhotoStatus
from registration import services as registration_services
from registration.models import (
    AdmissionTicket,
    Enrollment,
    EnrollmentSeat,
    EnrollmentStatus,
    SeatState,
)
from tests.browser.screens import (
    DESKTOP,
    PHONE,
    assert_heading_in_first_screen,
    assert_in_first_screen,
    assert_no_sideways_scroll,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ID_NUMBER = resident_id("370202", datetime.date(1998, 3, 9), 246)
MOBILE = "13812345688"
PASSWORD = "Str0ng-Passw0rd!"
NAME = "刘思远"


def solve_captcha(page):
    key = page.locator("input[name='captcha_0']").input_value()
    page.fill("input[name='captcha_1']", CaptchaStore.objects.get(hashkey=key).response)


def submit(page):
    page.locator("main form button[type=submit]").first.click()


def arrived(page):
    """A new page: its heading is in the first screen, and nothing on it is wider than the screen."""
    page.wait_for_load_state()
    assert_heading_in_first_screen(page)
    assert_no_sideways_scroll(page)


def menu_link(page, name):
    """A link of the header or the side menu, as a person reaches it: on a phone through the menu button."""
    button = page.get_by_test_id("menu-button")
    if button.is_visible():
        button.click()
    link = page.locator("nav").get_by_role("link", name=name, exact=True)
    expect(link).to_be_visible()
    return link


def _sign_up(page, shot):
    page.goto("/")
    arrived(page)
    create = page.get_by_role("link", name="注册账户")  # the home page's main action
    assert_in_first_screen(page, create, "注册账户")
    create.click()
    arrived(page)
    page.get_by_role("button", name="我已阅读并接受").click()
    arrived(page)
    page.get_by_role("button", name="下一步").click()
    arrived(page)
    page.fill("#id_username", "journey01")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_name", NAME)
    page.fill("#id_id_number", ID_NUMBER)
    page.fill("#id_email", "journey01@example.org")
    page.fill("#id_mobile", MOBILE)
    page.select_option("#id_education_level", "bachelor")
    page.fill("#id_school", "山东大学")
    page.fill("#id_major", "质量管理工程")
    page.fill("#id_graduated_on", "2020-07-01")
    solve_captcha(page)
    shot("01-signup")
    page.get_by_role("button", name="提交").click()
    arrived(page)

    page.fill("#id_name", NAME)  # the second entry of name and ID number
    page.fill("#id_id_number", ID_NUMBER)
    page.get_by_role("button", name="确认").click()
    arrived(page)

    page.get_by_role("button", name="获取短信验证码").click()
    text = SmsMessage.objects.filter(mobile=MOBILE).latest("id").text
    page.fill("#id_code", re.search(r"\d{6}", text).group(0))
    page.get_by_role("button", name="完成注册").click()
    arrived(page)
    assert "注册成功" in page.content()
    return User.objects.get(username="journey01", name=NAME, mobile=MOBILE)


def _log_in(page):
    menu_link(page, "登录").click()
    arrived(page)
    page.fill("#id_login", MOBILE)
    page.fill("#id_password", PASSWORD)
    solve_captcha(page)
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url(re.compile(r"/enroll/$"))
    arrived(page)


def _upload_photo(page, shot, person, tmp_path):
    with translation.override("zh-hans"):
        approved = str(PhotoStatus.APPROVED.label)
    source = tmp_path / "证件照.jpg"
    source.write_bytes(samples.good_photo("blue"))
    page.goto("/photos/upload/")
    arrived(page)
    page.set_input_files("#id_photo", str(source))
    solve_captcha(page)
    submit(page)
    page.wait_for_url(re.compile(r"/photos/upload/\?profile=ccaa$"))
    arrived(page)
    expect(page.get_by_test_id("photo-status")).to_have_text(approved, timeout=30_000)
    page.wait_for_function("document.getElementById('photo-standard').naturalWidth === 215")
    shot("02-photo")
    assert Photo.objects.get(owner=person).status == PhotoStatus.APPROVED


def _enroll(page, shot, person, exam):
    menu_link(page, "选择考试").click()
    page.wait_for_url(re.compile(r"/enroll/$"))
    arrived(page)
    shot("03-exam-list")
    page.get_by_role("link", name=exam.name).click()  # the notice (考生须知)
    arrived(page)
    page.check("#id_accept")
    submit(page)
    page.wait_for_url(re.compile(r"/enroll/\d+/$"))
    arrived(page)

    page.get_by_test_id("next-step").click()  # registration information
    arrived(page)
    page.select_option("#id_ethnicity", "01")
    page.fill("#id_residence_city", "济南市历下区")
    page.select_option("#id_education_level", "bachelor")
    page.fill("#id_mailing_address", "济南市历下区经十路 1 号")
    page.check("input[name=invoice_wanted][value=True]")
    page.select_option("#id_invoice_type", "personal")
    expect(page.locator("#id_invoice_title")).to_have_value(NAME)
    submit(page)
    page.wait_for_url(re.compile(r"/enroll/\d+/$"))
    arrived(page)

    page.get_by_test_id("next-step").click()  # subjects
    arrived(page)
    page.get_by_label(re.compile("认证通用基础")).check()
    page.get_by_label(re.compile("QMS 基础知识")).check()
    expect(page.get_by_test_id("total-fee")).to_have_text("160.00")
    shot("04-subjects")
    submit(page)
    page.wait_for_url(re.compile(r"/enroll/\d+/$"))
    arrived(page)

    page.get_by_test_id("next-step").click()  # area
    arrived(page)
    expect(page.get_by_test_id("area-availability")).to_contain_text("上海")
    page.select_option("#id_area", str(Area.objects.get(name="济南").pk))
    shot("05-area")
    submit(page)
    page.wait_for_url(re.compile(r"/enroll/\d+/$"))
    arrived(page)

    page.get_by_test_id("next-step").click()  # confirmation
    arrived(page)
    expect(page.get_by_test_id("summary-area")).to_have_text("济南")
    expect(page.get_by_test_id("summary-total")).to_contain_text("160.00")
    page.check("#id_confirm")
    shot("06-confirm")
    submit(page)
    page.wait_for_url(re.compile(r"/enroll/\d+/$"))
    arrived(page)
    enrollment = Enrollment.objects.get(candidate=person, exam=exam)
    assert enrollment.status == EnrollmentStatus.CONFIRMED
    expect(page.get_by_test_id("enrollment-status")).to_have_text(enrollment.get_status_display())
    return enrollment


def _pay(page, shot, enrollment):
    page.get_by_test_id("next-step").click()  # 网上缴费, from the progress page
    page.wait_for_url(re.compile(rf"/pay/enrollment/{enrollment.pk}/$"))
    arrived(page)
    expect(page.get_by_test_id("pay-total")).to_have_text("160.00")
    shot("07-pay")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("pay-online").click()
    page.wait_for_url(re.compile(r"/sandbox-pay/gateway/\?"))
    arrived(page)
    order = Order.objects.get(enrollment=enrollment)
    assert order.status == OrderStatus.PENDING and str(order.amount) == "160.00"
    txn = SandboxTransaction.objects.get(merchant_order_no=order.number)
    expect(page.get_by_test_id("sandbox-amount")).to_contain_text("160.00")
    shot("07-sandbox")

    page.locator(f"form[action='{reverse('paysandbox:pay', args=[txn.trade_no])}'] button[type=submit]").click()
    arrived(page)
    page.get_by_test_id("sandbox-return").click()
    page.wait_for_url(re.compile(rf"/pay/enrollment/{enrollment.pk}/$"))
    arrived(page)
    expect(page.get_by_test_id("paid")).to_contain_text(order.number)
    shot("08-paid")
    order.refresh_from_db()
    txn.refresh_from_db()
    enrollment.refresh_from_db()
    assert txn.status == TransactionStatus.PAID
    assert order.status == OrderStatus.PAID and order.payments.count() == 1
    assert enrollment.status == EnrollmentStatus.ENROLLED
    return order


def _change_city(page, shot, enrollment):
    qingdao = Area.objects.get(name="青岛")
    page.goto(reverse("registration:enrollment-progress", args=[enrollment.pk]))
    arrived(page)
    page.locator(f"a[href='{reverse('payments:change-city', args=[enrollment.pk])}']").click()
    page.wait_for_url(re.compile(rf"/pay/enrollment/{enrollment.pk}/change-city/$"))
    arrived(page)
    expect(page.get_by_test_id("current-area")).to_have_text("济南")
    page.select_option("#id_area", str(qingdao.pk))
    shot("09-change-city")
    submit(page)
    page.wait_for_url(re.compile(rf"/enroll/{enrollment.pk}/$"))
    arrived(page)
    enrollment.refresh_from_db()
    assert enrollment.area_id == qingdao.pk
    seats = EnrollmentSeat.objects.filter(enrollment=enrollment, state=SeatState.SOLD).select_related("quota")
    assert seats.count() == 2 and {seat.quota.area_id for seat in seats} == {qingdao.pk}


def _refund(page, shot, enrollment, order):
    page.goto(reverse("payments:refund", args=[enrollment.pk]))
    arrived(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("refund-request").click()
    expect(page.get_by_test_id("refund-status")).to_have_text("已退费")
    arrived(page)
    shot("10-refund")
    refund = Refund.objects.get(order=order)
    assert refund.status == RefundStatus.REFUNDED and refund.amount == order.amount
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert not EnrollmentSeat.objects.filter(enrollment=enrollment, state=SeatState.SOLD).exists()


def _paid_for_the_closed_exam(person, exam):
    """Registered and paid inside the closed exam's window, through the services (payments/demo.py)."""
    return payments_demo.register_and_pay(person, exam)


# The pages shown at phone size in docs/screenshots/phone-*.png.
PHONE_SHOTS = {"03-exam-list", "04-subjects", "07-pay", "08-paid", "11-my-exams"}


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_new_person_from_sign_up_to_the_admission_ticket(page, tmp_path, screen):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE if screen == "phone" else DESKTOP)

    def shot(name):
        if screen == "desktop":
            page.screenshot(path=str(SCREENSHOTS / f"journey-{name}.png"), full_page=True)
        elif name in PHONE_SHOTS:
            page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), full_page=True)

    exam = demo.seed()
    closed = demo.seed_closed(timezone.now(), timezone.localdate())  # made by seed(); get_or_create

    person = _sign_up(page, shot)
    _log_in(page)
    _upload_photo(page, shot, person, tmp_path)
    enrollment = _enroll(page, shot, person, exam)
    order = _pay(page, shot, enrollment)
    assert services.check_invariants() == []
    _change_city(page, shot, enrollment)
    assert services.check_invariants() == []
    _refund(page, shot, enrollment, order)
    assert services.check_invariants() == []

    # The admission ticket: the refunded exam has none, so the person's paid registration for the exam
    # whose registration has closed (its print window is open now) gets one.
    ticketed = _paid_for_the_closed_exam(person, closed)
    assert registration_services.tickets_allocate(exam=closed, actor=None)["created"] == 2
    assert AdmissionTicket.objects.filter(enrollment=ticketed, void=False).count() == 2
    assert not AdmissionTicket.objects.filter(enrollment=enrollment).exists()

    menu_link(page, "我的考试（准考证与成绩）").click()
    page.wait_for_url(re.compile(r"/enroll/my-exams/$"))
    arrived(page)
    link = page.get_by_test_id("print-ticket")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", reverse("registration:admission-ticket-pdf", args=[ticketed.pk]))
    for number in AdmissionTicket.objects.filter(enrollment=ticketed).values_list("number", flat=True):
        expect(page.get_by_test_id(f"score-{number}")).to_be_visible()
    shot("11-my-exams")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"].startswith("application/pdf")
    assert response.body().startswith(b"%PDF")
    assert services.check_invariants() == []
