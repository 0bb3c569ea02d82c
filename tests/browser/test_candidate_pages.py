"""What a candidate sees of their own registration, in headless Chromium (issue 14, items 11, 12, 14):
the step tracker leaves 网上缴费 open while the order is unpaid and ticks it once paid; 查看报考信息
shows the numbered invoice with a PDF that opens, and prints without its buttons."""
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from exams import demo
from exams.models import Area, Sitting
from payments import services as payment_services
from payments.models import Invoice
from tests.payments.conftest import ENTERPRISE, confirmed_enrollment, make_candidate, signed_notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user) -> None:
    """The candidate's session in the browser (the login form has its own tests)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])


def confirmed(**info):
    exam = demo.seed()
    candidate = make_candidate("韩梅梅")
    sittings = list(Sitting.objects.filter(exam=exam).order_by("starts_at"))
    return candidate, confirmed_enrollment(candidate, exam, sittings, Area.objects.get(name="济南"), **info)


def test_the_payment_step_is_ticked_only_once_the_order_is_paid(page, live_server):
    candidate, enrollment = confirmed()
    order = payment_services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    log_in(page, live_server, candidate)

    page.goto(reverse("registration:enrollment-progress", args=[enrollment.pk]))
    expect(page.get_by_test_id("enrollment-status")).to_have_text("已生成订单，未支付")
    payment_step = page.locator("ol.steps li[data-step=confirm]")
    expect(payment_step).to_contain_text("网上缴费")
    expect(payment_step).not_to_contain_text("✓")
    expect(payment_step).not_to_have_class("done")
    expect(page.locator("ol.steps li[data-step=area]")).to_contain_text("✓")

    payment_services.payment_notify(provider="sandbox", data=signed_notification(order))
    page.reload()
    expect(page.get_by_test_id("enrollment-status")).to_have_text("报名成功")
    expect(payment_step).to_contain_text("✓")
    expect(payment_step).to_have_class("done")


def test_my_registration_shows_the_invoice_with_a_pdf_and_prints_without_buttons(page, live_server):
    candidate, enrollment = confirmed(**ENTERPRISE)
    order = payment_services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    payment_services.payment_notify(provider="sandbox", data=signed_notification(order))
    invoice = Invoice.objects.get(order=order)
    log_in(page, live_server, candidate)

    page.goto(reverse("registration:my-enrollments"))
    expect(page.get_by_role("heading", name="查看报考信息")).to_be_visible()
    record = page.get_by_test_id(f"enrollment-{enrollment.pk}")
    expect(record.get_by_test_id("enrollment-status")).to_have_text("报名成功")
    expect(record.get_by_test_id("invoice-number")).to_have_text(invoice.number)
    expect(record.get_by_test_id("invoice-status")).to_contain_text("已开具")
    expect(record.get_by_test_id("invoice-request")).to_contain_text("济南某某认证咨询有限公司")
    expect(record.get_by_test_id("record-area")).to_have_text("济南")
    expect(record.get_by_test_id(f"order-{order.number}")).to_contain_text("已支付")

    link = record.get_by_test_id("invoice-pdf")
    expect(link).to_be_visible()
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    page.emulate_media(media="print")
    expect(record.get_by_test_id("invoice-number")).to_be_visible()
    expect(record.get_by_test_id("record-actions")).to_be_hidden()
    expect(link).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()  # on paper: the page's content only
    expect(page.locator("aside .side-menu").first).to_be_hidden()
    page.set_viewport_size({"width": 700, "height": 900})  # narrower than md: still a table on paper
    assert page.get_by_test_id("invoice-number").evaluate("cell => getComputedStyle(cell).display") == "table-cell"
    page.emulate_media(media="screen")

    # the refund voids it, and the page says so
    enrollment.refresh_from_db()
    payment_services.refund_request(enrollment=enrollment, actor=candidate)
    page.reload()
    expect(record.get_by_test_id("invoice-status")).to_contain_text("已作废")
