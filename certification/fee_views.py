"""个人缴费 (seed 002 §3.1.4) and the holder's documents: the fee page with the voucher upload and
the invoice wish, a voucher's file, and the certificate PDF. Each page 404s for anyone it is not for."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.validators import PlainTextFormMixin
from registration.documents import pdf_response
from registration.models import InvoiceType

from . import certificates, fees
from .models import Application, Certificate, PaymentVoucher

YES_NO = [(True, gettext_lazy("Yes")), (False, gettext_lazy("No"))]
ACCEPTED = ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"


class VoucherForm(PlainTextFormMixin, forms.Form):
    """线下缴费: the voucher and whether an invoice is wanted (personal, or enterprise with its code)."""

    file = forms.FileField(label=gettext_lazy("Payment voucher"),
                           help_text=gettext_lazy("A photo or scan of the bank's transfer voucher: JPG, PNG or PDF, "
                                                  "at most 10 MB."),
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED}))
    invoice_wanted = forms.TypedChoiceField(label=gettext_lazy("Invoice wanted?"), choices=YES_NO,
                                            widget=forms.RadioSelect, coerce=lambda v: v in (True, "True"),
                                            initial=False)
    invoice_type = forms.ChoiceField(label=gettext_lazy("Invoice type"),
                                     choices=[("", "---------")] + InvoiceType.choices, required=False)
    invoice_title = forms.CharField(label=gettext_lazy("Invoice title"), max_length=100, required=False,
                                    help_text=gettext_lazy("For a personal invoice the title is your name and "
                                                           "cannot be changed."))
    invoice_tax_number = forms.CharField(label=gettext_lazy("Tax number"), max_length=18, required=False,
                                         help_text=gettext_lazy("The enterprise's 18-character unified social "
                                                                "credit code."))

    def __init__(self, *args, applicant, **kwargs):
        super().__init__(*args, **kwargs)
        self.applicant = applicant

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            fees.check_voucher_size(upload.size)
            fees.voucher_content_type(upload.read())
        except DomainError as refused:
            raise forms.ValidationError(refused.message) from None
        finally:
            upload.seek(0)
        return upload

    def clean(self):
        data = super().clean()
        try:
            data.update(fees.invoice_fields(applicant=self.applicant, wanted=data.get("invoice_wanted", False),
                                            kind=data.get("invoice_type", ""), title=data.get("invoice_title", ""),
                                            tax_number=data.get("invoice_tax_number", "")))
        except DomainError as refused:
            self.add_error(refused.field, refused.message)
        return data


def _own_application(request, pk) -> Application:
    """The applicant's own application, or 404 (whoever else asks)."""
    app = Application.objects.select_related("track__field", "track__level", "institution").filter(
        pk=pk, applicant=request.user).first()
    if app is None:
        raise Http404
    return app


@login_required
@require_http_methods(["GET", "POST"])
def fee(request, pk):
    """缴费: the fee fixed after the institution's review, the vouchers so far, and the upload."""
    app = _own_application(request, pk)
    refusal = fees.voucher_refusal(app, request.user)
    form = VoucherForm(applicant=request.user)
    if request.method == "POST":
        form = VoucherForm(request.POST, request.FILES, applicant=request.user)
        if refusal:
            messages.error(request, refusal)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                fees.voucher_submit(app=app, actor=request.user, file=data["file"],
                                    invoice_wanted=data["invoice_wanted"], invoice_type=data["invoice_type"],
                                    invoice_title=data["invoice_title"],
                                    invoice_tax_number=data["invoice_tax_number"])
            except DomainError as refused:
                if refused.field and refused.field in form.fields:
                    form.add_error(refused.field, refused.message)
                else:
                    messages.error(request, refused.message)
            else:
                messages.success(request, _("Your payment voucher was uploaded. The association confirms it, "
                                            "then your application goes on to the association's review."))
                return redirect("certification:fee", app.pk)
    vouchers = list(app.vouchers.order_by("-created_at"))
    return render(request, "certification/fees/fee.html", {
        "app": app, "vouchers": vouchers, "refusal": refusal, "form": None if refusal else form,
        "paid": any(v.status == "confirmed" for v in vouchers)}, status=400 if form.errors else 200)


@login_required
def voucher_file(request, pk):
    """A voucher's file, to its payer and the staff who handle vouchers (404 for anyone else)."""
    voucher = get_object_or_404(PaymentVoucher.objects.select_related("application"), pk=pk)
    if not fees.voucher_visible_to(voucher, request.user):
        raise Http404
    try:
        handle = voucher.file.open("rb")
    except (FileNotFoundError, OSError):  # the stored file is gone (restored backup, moved volume)
        raise Http404("the voucher's file is missing") from None
    head = handle.read(16)
    handle.seek(0)
    # Only checked JPEG, PNG and PDF files were stored (fees.voucher_content_type).
    content_type = ("application/pdf" if head.startswith(b"%PDF-")
                    else "image/png" if head.startswith(b"\x89PNG") else "image/jpeg")
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def certificate_pdf(request, pk):
    """注册证书 PDF with the photo and the QR code of the verification link: holder and staff only."""
    certificate = get_object_or_404(
        Certificate.objects.select_related("holder", "track__field", "track__level", "institution"), pk=pk)
    if not certificates.certificate_visible_to(certificate, request.user):
        raise Http404
    data = certificates.certificate_pdf(certificate, certificates.verification_url(certificate, request))
    return pdf_response(data, f"证书-{certificate.number}.pdf")
