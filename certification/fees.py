"""个人缴费 (SPEC G3, E6; seed 002 §3.1.4): after the institution's first review the applicant pays
the fee fixed then (`services._fix_fee`). 线下缴费: a payment voucher (image or PDF, checked by its
content, size-limited, private) that association staff confirm — which sends the application on
to the association, in the same transaction — or reject with a reason; a rejected voucher can be
replaced by a new one. An invoice (personal, or enterprise with a unified social credit code) is
numbered when the voucher is confirmed, from the exam invoices' yearly counter.

线上缴费 is not offered: the payment platforms' orders (payments.Order) belong to exam
enrollments, and taking certification fees online needs a change to the payments app's models."""
from __future__ import annotations

import io

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from core.audit import audit_log
from core.exceptions import DomainError

from . import services
from .exceptions import ApplicationRefused
from .models import Application, ApplicationStatus, PaymentVoucher, VoucherStatus
from .states import VOUCHER

INVOICE_PERSONAL = "personal"
INVOICE_ENTERPRISE = "enterprise"
# What a voucher may be, by its first bytes (a renamed file is still refused): type → extension.
VOUCHER_TYPES = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


class VoucherRefused(DomainError):
    """The voucher cannot be taken or decided: the message says why (and `field` where)."""


# --------------------------------------------------------------------------- checks shared with the form


def check_voucher_size(size: int) -> None:
    if size > settings.CERTIFICATION_EVIDENCE_MAX_BYTES:
        raise VoucherRefused(_("The file is larger than %(mb)d MB: scan it at a lower resolution.") % {
            "mb": settings.CERTIFICATION_EVIDENCE_MAX_BYTES // (1024 * 1024)}, field="file")


def voucher_content_type(data: bytes) -> str:
    """The voucher's type read from its content: a JPEG or PNG picture that opens, or a PDF."""
    if not data:
        raise VoucherRefused(_("The file is empty."), field="file")
    check_voucher_size(len(data))
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                kind = image.format
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            kind = None
        if kind in ("JPEG", "MPO"):
            return "image/jpeg"
        if kind == "PNG":
            return "image/png"
    raise VoucherRefused(_("Upload the voucher as a JPG or PNG picture or a PDF file. Renaming a file does not "
                           "change its format."), field="file")


def invoice_fields(*, applicant, wanted: bool, kind: str = "", title: str = "", tax_number: str = "") -> dict:
    """What the voucher records of the invoice wish; a personal invoice is made out to the applicant's
    name, an enterprise one needs the name and a valid unified social credit code."""
    if not wanted:
        return {"invoice_wanted": False, "invoice_type": "", "invoice_title": "", "invoice_tax_number": ""}
    if kind == INVOICE_PERSONAL:
        return {"invoice_wanted": True, "invoice_type": kind, "invoice_title": applicant.name,
                "invoice_tax_number": ""}
    if kind != INVOICE_ENTERPRISE:
        raise VoucherRefused(_("Choose personal or enterprise."), field="invoice_type")
    title = (title or "").strip()
    if not title:
        raise VoucherRefused(_("Enter the enterprise's name as the invoice title."), field="invoice_title")
    try:
        number = uscc.validate((tax_number or "").strip().upper())
    except StdnumError:
        raise VoucherRefused(_("This is not a valid unified social credit code (18 characters, check digit)."),
                             field="invoice_tax_number") from None
    return {"invoice_wanted": True, "invoice_type": kind, "invoice_title": title, "invoice_tax_number": number}


def voucher_refusal(app: Application, user) -> str | None:
    """Why `user` cannot upload a voucher for `app` now (None: they can). The fee page asks this."""
    if app.applicant_id != user.pk:
        return _("Only the applicant pays the fee.")
    if app.status != ApplicationStatus.PAYMENT:
        return _("This application is %(status)s: there is no fee to pay now.") % {
            "status": app.get_status_display()}
    if app.vouchers.filter(status=VoucherStatus.SUBMITTED).exists():
        return _("Your voucher waits for the association's confirmation.")
    return None


# --------------------------------------------------------------------------- writes


def voucher_submit(*, app: Application, actor, file, invoice_wanted: bool = False, invoice_type: str = "",
                   invoice_title: str = "", invoice_tax_number: str = "") -> PaymentVoucher:
    """线下缴费: the applicant uploads the voucher of the fee (the application waits for payment and no
    other voucher waits for confirmation); checked by content, stored privately, audited."""
    check_voucher_size(getattr(file, "size", None) or 0)  # before reading it into memory
    data = file.read()
    extension = VOUCHER_TYPES[voucher_content_type(data)]
    invoice = invoice_fields(applicant=actor, wanted=invoice_wanted, kind=invoice_type, title=invoice_title,
                             tax_number=invoice_tax_number)
    file.seek(0)
    try:
        with transaction.atomic():
            locked = Application.objects.select_for_update(of=("self",)).get(pk=app.pk)
            refusal = voucher_refusal(locked, actor)
            if refusal:
                raise VoucherRefused(refusal)
            voucher = PaymentVoucher(application=locked, amount=locked.fee, uploaded_by=actor, **invoice)
            voucher.file.save(_stored_name(file.name, extension), file, save=False)
            voucher.save()
            audit_log(actor=actor, action="payment_voucher.submitted", obj=voucher,
                      after={"application": locked.number, "amount": str(locked.fee), **invoice})
    except IntegrityError:  # another voucher was uploaded at the same moment
        raise VoucherRefused(_("Your voucher waits for the association's confirmation.")) from None
    return voucher


def _stored_name(name: str, extension: str) -> str:
    stem = (name or "voucher").rsplit("/", 1)[-1].rsplit(".", 1)[0][:30] or "voucher"
    return f"{stem}.{extension}"


def voucher_confirm(*, voucher: PaymentVoucher, actor) -> PaymentVoucher:
    """Staff confirm the payment: the voucher is confirmed and the application goes on to the
    association (services.payment_confirm) in one transaction; an invoice asked for is numbered."""
    with transaction.atomic():
        locked = PaymentVoucher.objects.select_for_update().select_related("application").get(pk=voucher.pk)
        fields = {}
        if locked.invoice_wanted and not locked.invoice_number:
            fields = {"invoice_number": _next_invoice_number(), "invoice_issued_at": timezone.now()}
        VOUCHER.perform(locked, "confirm", actor=actor, fields=fields,
                        audit_extra={"amount": str(locked.amount), **fields})
        try:
            services.payment_confirm(app=locked.application, actor=actor)
        except ApplicationRefused as refused:  # e.g. staff who may confirm vouchers but not move applications
            raise VoucherRefused(refused.message) from None
    return locked


def _next_invoice_number() -> str:
    from payments.models import InvoiceCounter

    year = timezone.localdate().year
    counter, _created = InvoiceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"FP{year}{counter.last:08d}"


def voucher_reject(*, voucher: PaymentVoucher, actor, reason: str) -> PaymentVoucher:
    """Staff refuse the voucher with a reason; the applicant is told and may upload another one."""
    with transaction.atomic():
        locked = PaymentVoucher.objects.select_for_update().select_related("application__applicant").get(
            pk=voucher.pk)
        VOUCHER.perform(locked, "reject", actor=actor, reason=reason, fields={"reason": reason.strip()})
    return locked


# --------------------------------------------------------------------------- reads


def voucher_visible_to(voucher: PaymentVoucher, user) -> bool:
    """The payer and association staff who handle vouchers see the file; nobody else."""
    return user.is_authenticated and (voucher.application.applicant_id == user.pk
                                      or user.has_perm("certification.view_paymentvoucher"))
