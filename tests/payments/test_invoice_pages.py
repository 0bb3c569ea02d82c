"""Candidates see their invoice (发票, SPEC E5; issue 14 item 11): the numbered record of a paid order
on the payment page and in 查看报考信息, its voiding when the order is refunded, and a PDF of it
that only the candidate who paid can open."""
import re
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from payments import services
from payments.models import Invoice
from registration.documents import amount_in_words
from tests.payments.conftest import (
    ENTERPRISE,
    confirmed_enrollment,
    make_candidate,
    signed_notification,
)
from tests.staff.conftest import need_tool

pytestmark = pytest.mark.django_db

PERSONAL = {"invoice_wanted": True, "invoice_type": "personal"}


def pay(enrollment, candidate, on_commit):
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    with on_commit():
        services.payment_notify(provider="sandbox", data=signed_notification(order))
    order.refresh_from_db()
    assert order.status == "paid"
    return order


@pytest.fixture
def enterprise_paid(candidate, exam, sittings, area, on_commit):
    """A paid enrollment that asked for an enterprise invoice: the invoice is issued with the payment."""
    enrollment = confirmed_enrollment(candidate, exam, sittings, area, **ENTERPRISE)
    order = pay(enrollment, candidate, on_commit)
    enrollment.refresh_from_db()
    return enrollment, order, Invoice.objects.get(order=order)


def pdf_text(data: bytes, tmp_path) -> str:
    need_tool("pdftotext")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return re.sub(r"\s+", "", text)


def html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_payment_page_shows_the_numbered_invoice_with_its_pdf(logged_in, enterprise_paid):
    enrollment, _order, invoice = enterprise_paid
    page = html(logged_in, reverse("payments:payment-page", args=[enrollment.pk]))
    assert invoice.number.startswith("FP")
    row = re.search(rf'<tr data-testid="invoice-{invoice.number}">(.*?)</tr>', page, re.DOTALL)
    assert row, "the invoice record is not on the payment page"
    cells = row.group(1)
    assert "企业" in cells and "济南某某认证咨询有限公司" in cells and "91370102MA3C4X8Y2K" in cells
    assert "160.00" in cells and "已开具" in cells
    assert reverse("payments:invoice-pdf", args=[invoice.number]) in cells


def test_my_registration_page_shows_the_invoice_with_its_pdf(logged_in, enterprise_paid):
    _enrollment, _order, invoice = enterprise_paid
    page = html(logged_in, reverse("registration:my-enrollments"))
    assert f'data-testid="invoice-{invoice.number}"' in page
    assert reverse("payments:invoice-pdf", args=[invoice.number]) in page


def test_a_refund_voids_the_invoice_on_both_pages(logged_in, enterprise_paid, candidate, on_commit):
    enrollment, _order, invoice = enterprise_paid
    with on_commit():
        services.refund_request(enrollment=enrollment, actor=candidate)
    for url in (reverse("payments:payment-page", args=[enrollment.pk]), reverse("registration:my-enrollments")):
        page = html(logged_in, url)
        row = re.search(rf'<tr data-testid="invoice-{invoice.number}">(.*?)</tr>', page, re.DOTALL)
        assert row, url
        status = re.search(r'data-testid="invoice-status">(.*?)</td>', row.group(1), re.DOTALL).group(1)
        assert "已作废" in status and "已开具" not in status, url


def test_the_invoice_pdf_is_for_the_payer_only(client, enterprise_paid, candidate, tmp_path):
    _enrollment, order, invoice = enterprise_paid
    url = reverse("payments:invoice-pdf", args=[invoice.number])

    assert client.get(url).status_code == 302  # logged out: to the login page
    client.force_login(make_candidate("韩梅梅"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("payments:invoice-pdf", args=["FP000000000000"])).status_code == 404

    client.force_login(candidate)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content, tmp_path)
    for expected in (invoice.number, "企业", "济南某某认证咨询有限公司", "91370102MA3C4X8Y2K", "¥160.00",
                     "壹佰陆拾元整", order.number, "已开具", "测试订单"):
        assert expected in text, expected
    assert "已作废" not in text


def test_a_voided_invoice_pdf_says_so(client, enterprise_paid, candidate, on_commit, tmp_path):
    enrollment, _order, invoice = enterprise_paid
    with on_commit():
        services.refund_request(enrollment=enrollment, actor=candidate)
    client.force_login(candidate)
    text = pdf_text(client.get(reverse("payments:invoice-pdf", args=[invoice.number])).content, tmp_path)
    assert invoice.number in text and "已作废" in text and "已开具" not in text


def test_a_personal_invoice_carries_the_candidates_name(logged_in, candidate, exam, sittings, area, on_commit):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area, **PERSONAL)
    page = html(logged_in, reverse("payments:payment-page", args=[enrollment.pk]))
    assert 'data-testid="invoice-pending"' in page  # asked for, issued with the payment
    invoice = Invoice.objects.get(order=pay(enrollment, candidate, on_commit))
    page = html(logged_in, reverse("payments:payment-page", args=[enrollment.pk]))
    row = re.search(rf'<tr data-testid="invoice-{invoice.number}">(.*?)</tr>', page, re.DOTALL).group(1)
    assert candidate.name in row and "个人" in row


def test_no_invoice_asked_for_says_so(logged_in, enrollment, on_commit, candidate):
    pay(enrollment, candidate, on_commit)
    page = html(logged_in, reverse("payments:payment-page", args=[enrollment.pk]))
    assert 'data-testid="invoice-none"' in page and 'data-testid="invoices"' not in page


@pytest.mark.parametrize("amount, words", [
    ("160.00", "壹佰陆拾元整"), ("80.00", "捌拾元整"), ("1010.00", "壹仟零壹拾元整"), ("100.05", "壹佰元零伍分"),
    ("100.50", "壹佰元伍角整"), ("0.30", "叁角整"), ("100010.00", "壹拾万零壹拾元整"), ("0.00", "零元整"),
    ("20003.40", "贰万零叁元肆角整"),
])
def test_amounts_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words
