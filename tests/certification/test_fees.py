"""个人缴费 (SPEC G3, E6): after the institution's review the applicant uploads a payment voucher,
staff confirm it (the application goes on to the association, an invoice asked for is numbered) or
reject it with a reason (the applicant is told and uploads another). The fee page and the voucher
file are for the applicant alone."""
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from certification import fees, services
from certification.exceptions import ApplicationRefused
from certification.models import ItemKind, PaymentVoucher
from core.models import AuditEntry, Notification
from tests.accounts.factories import UserFactory
from tests.certification.factories import world

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "JPEG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def valid_credit_code() -> str:
    from accounts.demo import credit_code

    return credit_code("91370100MA3C5X7R2")


@pytest.fixture
def w():
    return world()


@pytest.fixture
def app(w):
    """A registration the institution approved: it waits for its fee of 300.00."""
    app = services.application_create(applicant=w.applicant, kind="registration", track=w.track)
    services.item_add(app=app, actor=w.applicant, kind=ItemKind.WORK, entry=w.work)
    for audit in w.audits:
        services.item_add(app=app, actor=w.applicant, kind=ItemKind.AUDIT, entry=audit)
    services.item_add(app=app, actor=w.applicant, kind=ItemKind.TRAINING, entry=w.training)
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    assert app.status == "payment"
    return app


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_voucher(client, app, content: bytes, name="凭证.jpg", **invoice):
    data = {"file": SimpleUploadedFile(name, content), "invoice_wanted": "False", **invoice}
    with translation.override("en"):
        return client.post(reverse("certification:fee", args=[app.pk]), data, HTTP_ACCEPT_LANGUAGE="en")


def test_the_applicant_sees_the_fee_and_uploads_a_voucher_with_an_enterprise_invoice(w, app):
    client = as_user(w.applicant)
    page = client.get(reverse("certification:fee", args=[app.pk])).content.decode()
    assert "300.00" in page and 'data-testid="voucher-form"' in page
    response = post_voucher(client, app, jpeg(), invoice_wanted="True", invoice_type="enterprise",
                            invoice_title="济南示例认证有限公司", invoice_tax_number=valid_credit_code().lower())
    assert response.status_code == 302
    voucher = PaymentVoucher.objects.get(application=app)
    assert (voucher.status, voucher.amount, voucher.invoice_type) == ("submitted", Decimal("300.00"), "enterprise")
    assert voucher.invoice_tax_number == valid_credit_code()  # upper case, checked
    assert voucher.file.name.endswith(".jpg") and voucher.file.read() == jpeg()
    with pytest.raises(ValueError):
        _ = voucher.file.url  # private storage: no public URL
    assert AuditEntry.objects.filter(action="payment_voucher.submitted", object_id=str(voucher.pk)).exists()
    page = client.get(reverse("certification:fee", args=[app.pk])).content.decode()
    assert 'data-testid="voucher-form"' not in page and 'data-testid="fee-refusal"' in page  # one waits already


@pytest.mark.parametrize("content, name, field", [
    (b"this is a text file, renamed", "voucher.jpg", "file"),
    (b"\xff\xd8\xff" + b"\0" * 50, "broken.jpg", "file"),  # JPEG magic, no picture
])
def test_a_file_that_is_not_a_picture_or_pdf_is_refused_next_to_the_field(w, app, content, name, field):
    response = post_voucher(as_user(w.applicant), app, content, name=name)
    assert response.status_code == 400
    assert "JPG or PNG picture or a PDF" in str(response.context["form"].errors[field])
    assert not PaymentVoucher.objects.exists()


def test_an_enterprise_invoice_needs_a_valid_credit_code_and_nothing_is_written(w, app):
    bad = valid_credit_code()[:-1] + ("0" if valid_credit_code()[-1] != "0" else "1")
    response = post_voucher(as_user(w.applicant), app, PDF, name="v.pdf", invoice_wanted="True",
                            invoice_type="enterprise", invoice_title="某公司", invoice_tax_number=bad)
    assert response.status_code == 400
    assert "unified social credit code" in str(response.context["form"].errors["invoice_tax_number"])
    assert not PaymentVoucher.objects.exists()


def test_a_voucher_larger_than_the_limit_is_refused(w, app, settings):
    settings.CERTIFICATION_EVIDENCE_MAX_BYTES = 1024
    response = post_voucher(as_user(w.applicant), app, PDF + b"0" * 2000, name="big.pdf")
    assert response.status_code == 400 and "larger than" in str(response.context["form"].errors["file"])
    assert not PaymentVoucher.objects.exists()


def test_staff_confirm_a_voucher_the_application_goes_on_and_the_invoice_is_numbered(w, app):
    voucher = fees.voucher_submit(app=app, actor=w.applicant, file=SimpleUploadedFile("v.pdf", PDF),
                                  invoice_wanted=True, invoice_type="personal")
    assert voucher.invoice_title == w.applicant.name  # a personal invoice bears the applicant's name
    fees.voucher_confirm(voucher=voucher, actor=w.staff)
    voucher.refresh_from_db()
    app.refresh_from_db()
    assert voucher.status == "confirmed" and app.status == "association_review"
    assert re.fullmatch(r"FP\d{4}\d{8}", voucher.invoice_number) and voucher.invoice_issued_at
    with translation.override("en"):
        page = as_user(w.applicant).get(reverse("certification:fee", args=[app.pk])).content.decode()
    assert voucher.invoice_number in page and 'data-testid="fee-paid"' in page
    with pytest.raises(ApplicationRefused):  # confirmed once only
        fees.voucher_confirm(voucher=voucher, actor=w.staff)


def test_confirming_needs_staff_and_leaves_everything_as_it_was_otherwise(w, app):
    voucher = fees.voucher_submit(app=app, actor=w.applicant, file=SimpleUploadedFile("v.pdf", PDF))
    with pytest.raises(ApplicationRefused):
        fees.voucher_confirm(voucher=voucher, actor=w.officer)
    voucher.refresh_from_db()
    app.refresh_from_db()
    assert (voucher.status, app.status) == ("submitted", "payment")


def test_a_rejected_voucher_is_explained_and_can_be_replaced(w, app):
    voucher = fees.voucher_submit(app=app, actor=w.applicant, file=SimpleUploadedFile("v.pdf", PDF))
    with pytest.raises(ApplicationRefused):
        fees.voucher_reject(voucher=voucher, actor=w.staff, reason="  ")  # a reason is required
    fees.voucher_reject(voucher=voucher, actor=w.staff, reason="金额与应缴费用不符")
    voucher.refresh_from_db()
    assert (voucher.status, voucher.reason) == ("rejected", "金额与应缴费用不符")
    notice = Notification.objects.get(recipient=w.applicant, kind="certification.voucher_rejected")
    assert "金额与应缴费用不符" in notice.body
    client = as_user(w.applicant)
    page = client.get(reverse("certification:fee", args=[app.pk])).content.decode()
    assert "金额与应缴费用不符" in page and 'data-testid="voucher-form"' in page
    assert post_voucher(client, app, jpeg()).status_code == 302
    assert list(app.vouchers.order_by("pk").values_list("status", flat=True)) == ["rejected", "submitted"]


def test_no_voucher_before_the_institution_has_reviewed(w):
    draft = services.application_create(applicant=w.applicant, kind="registration", track=w.track)
    with pytest.raises(fees.VoucherRefused):
        fees.voucher_submit(app=draft, actor=w.applicant, file=SimpleUploadedFile("v.pdf", PDF))
    response = post_voucher(as_user(w.applicant), draft, PDF, name="v.pdf")
    assert response.status_code == 200 and not PaymentVoucher.objects.exists()
    assert 'data-testid="voucher-form"' not in response.content.decode()


def test_the_fee_page_and_the_voucher_file_are_the_applicants_alone(w, app):
    voucher = fees.voucher_submit(app=app, actor=w.applicant, file=SimpleUploadedFile("v.pdf", PDF))
    stranger = UserFactory(username="stranger")
    for user in (stranger, w.officer):
        client = as_user(user)
        assert client.get(reverse("certification:fee", args=[app.pk])).status_code == 404
        assert client.get(reverse("certification:voucher-file", args=[voucher.pk])).status_code == 404
    own = as_user(w.applicant).get(reverse("certification:voucher-file", args=[voucher.pk]))
    assert own.status_code == 200 and own["Content-Type"] == "application/pdf"
    assert b"".join(own.streaming_content) == PDF
    assert as_user(w.staff).get(reverse("certification:voucher-file", args=[voucher.pk])).status_code == 200
    anonymous = Client().get(reverse("certification:fee", args=[app.pk]))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
