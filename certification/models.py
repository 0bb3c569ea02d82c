"""Certification personnel (SPEC G1–G10, seed 002 §§1–4): fields and levels with their
requirements, the personal basic-information library, applications with their review chains,
expert evaluations and certificates anyone can verify.

An application keeps a snapshot of what was submitted (`snapshot`, `ApplicationItem.data`): later
edits to the library never rewrite what a reviewer saw. Status changes go through
`certification.states` (the workflow core); this module only says what is stored."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.storage import private_storage

# --------------------------------------------------------------------------- fields, levels, requirements


class Field(models.Model):
    """认证领域: QMS, EMS, OHSMS, FSMS, 服务认证 …"""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("certification field")
        verbose_name_plural = _("certification fields")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Level(models.Model):
    """级别: 实习审核员, 审核员, 高级审核员 (rank orders them)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        ordering = ["rank"]

    def __str__(self):
        return self.name


class Track(models.Model):
    """A field at a level, with what an applicant must have (checked when an application is
    submitted, one message per unmet requirement), the fees and the certificate's validity."""

    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="tracks", verbose_name=_("field"))
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="tracks", verbose_name=_("level"))
    exam_subject_codes = models.CharField(
        _("exam subjects to have passed"), max_length=200, blank=True,
        help_text=_("Codes of the unified exam's subjects, separated by commas (e.g. GB,QMS)."))
    pass_mark = models.DecimalField(_("pass mark"), max_digits=5, decimal_places=1, default=60)
    min_audit_days = models.PositiveSmallIntegerField(_("audit days at least"), default=0)
    min_training_hours = models.PositiveSmallIntegerField(_("training hours at least"), default=0)
    fee = models.DecimalField(_("registration fee (CNY)"), max_digits=10, decimal_places=2, default=0)
    annual_fee = models.DecimalField(_("annual confirmation fee (CNY)"), max_digits=10, decimal_places=2, default=0)
    validity_years = models.PositiveSmallIntegerField(_("certificate valid for (years)"), default=3)

    class Meta:
        verbose_name = _("field and level")
        verbose_name_plural = _("fields and levels")
        ordering = ["field__order", "level__rank"]
        constraints = [
            models.UniqueConstraint(fields=["field", "level"], name="track_field_level_unique"),
            models.CheckConstraint(condition=Q(fee__gte=0) & Q(annual_fee__gte=0), name="track_fees_not_negative"),
        ]

    def __str__(self):
        return f"{self.field.code} {self.level.name}"

    @property
    def subject_codes(self) -> list[str]:
        return [code.strip() for code in self.exam_subject_codes.split(",") if code.strip()]


# --------------------------------------------------------------------------- where a person practises


class PracticingRelation(TimeStampedModel):
    """执业机构: the institution a person practises for, dated; the history is kept."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practicing",
                               verbose_name=_("person"))
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="practitioners",
                                    verbose_name=_("institution"))
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("practicing institution")
        verbose_name_plural = _("practicing institutions")
        ordering = ["-started_on"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(ended_on__isnull=True),
                                    name="one_current_practicing_institution"),
        ]

    def __str__(self):
        return f"{self.person} @ {self.institution}"


# --------------------------------------------------------------------------- the basic-information library


class WorkExperience(TimeStampedModel):
    """工作经历 in the personal basic-information library (基本信息库)."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_experiences",
                               verbose_name=_("person"))
    employer = models.CharField(_("employer"), max_length=200)
    position = models.CharField(_("position"), max_length=100)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("work experience")
        verbose_name_plural = _("work experiences")
        ordering = ["-started_on"]

    def __str__(self):
        return f"{self.employer} {self.position}"


class AuditRole(models.TextChoices):
    LEADER = "leader", _("Audit team leader")
    MEMBER = "member", _("Audit team member")
    TRAINEE = "trainee", _("Trainee")


class AuditExperience(TimeStampedModel):
    """审核经历: one audit the person took part in."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="audit_experiences",
                               verbose_name=_("person"))
    organisation = models.CharField(_("audited organisation"), max_length=200)
    field = models.ForeignKey(Field, on_delete=models.PROTECT, verbose_name=_("field"))
    role = models.CharField(_("role"), max_length=20, choices=AuditRole.choices)
    audited_on = models.DateField(_("first audit day"))
    days = models.DecimalField(_("audit days"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("audit experience")
        verbose_name_plural = _("audit experiences")
        ordering = ["-audited_on"]
        constraints = [models.CheckConstraint(condition=Q(days__gt=0), name="audit_days_positive")]

    def __str__(self):
        return f"{self.organisation} ({self.days})"


class TrainingRecord(TimeStampedModel):
    """培训经历: a course attended."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_records",
                               verbose_name=_("person"))
    course = models.CharField(_("course"), max_length=200)
    provider = models.CharField(_("training institution"), max_length=200)
    hours = models.PositiveSmallIntegerField(_("hours"))
    completed_on = models.DateField(_("completed on"))

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-completed_on"]

    def __str__(self):
        return f"{self.course} ({self.hours} h)"


# --------------------------------------------------------------------------- applications


class ApplicationKind(models.TextChoices):
    REGISTRATION = "registration", _("Personnel registration")
    ANNUAL = "annual", _("Annual confirmation")
    TRANSFER = "transfer", _("Change of practicing institution")
    APPEAL = "appeal", _("Appeal")
    COMPLAINT = "complaint", _("Complaint")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    INSTITUTION_REVIEW = "institution_review", _("Institution review")
    TRANSFER_OUT_REVIEW = "transfer_out_review", _("Review by the institution left")
    TRANSFER_IN_REVIEW = "transfer_in_review", _("Review by the institution joined")
    PAYMENT = "payment", _("Waiting for payment")
    ASSOCIATION_REVIEW = "association_review", _("Association review")
    EXPERT_EVALUATION = "expert_evaluation", _("Expert evaluation")
    ASSOCIATION_DECISION = "association_decision", _("Association decision")
    RETURNED = "returned", _("Returned for rectification")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")
    CLOSED = "closed", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn")


NUMBER_PREFIX = {ApplicationKind.REGISTRATION: "ZC", ApplicationKind.ANNUAL: "NQ", ApplicationKind.TRANSFER: "ZH",
                 ApplicationKind.APPEAL: "SS", ApplicationKind.COMPLAINT: "TS"}


class Application(TimeStampedModel):
    """One application of any kind; `kind` decides its chain (certification.states)."""

    number = models.CharField(_("application number"), max_length=20, unique=True, null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ApplicationKind.choices)
    status = models.CharField(_("status"), max_length=30, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.DRAFT, db_index=True)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications",
                                  verbose_name=_("applicant"))
    # The institution that reviews first: the practicing one (the one being left, for a transfer).
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="applications", verbose_name=_("institution"))
    target_institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="incoming_applications",
                                           verbose_name=_("institution joined"))
    track = models.ForeignKey(Track, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("field and level"))
    certificate = models.ForeignKey("Certificate", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="applications", verbose_name=_("certificate"))
    title = models.CharField(_("subject"), max_length=200, blank=True)
    content = models.TextField(_("statement"), blank=True)
    respondent = models.CharField(_("complained about"), max_length=200, blank=True)
    snapshot = models.JSONField(_("as submitted"), default=dict, blank=True)
    round = models.PositiveSmallIntegerField(_("submission round"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    fee = models.DecimalField(_("fee (CNY)"), max_digits=10, decimal_places=2, default=0)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)  # a later round is not charged again
    opinion = models.TextField(_("association's opinion"), blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ApplicationKind.values), name="application_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ApplicationStatus.values), name="application_status_valid"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="application_fee_not_negative"),
            # One open registration per person, field and level (drafts included).
            models.UniqueConstraint(
                fields=["applicant", "track"], name="one_open_registration_per_track",
                condition=Q(kind="registration") & ~Q(status__in=["approved", "rejected", "withdrawn"])),
            # One open annual confirmation or transfer per certificate (two would extend or move it twice).
            models.UniqueConstraint(
                fields=["certificate", "kind"], name="one_open_application_per_certificate",
                condition=Q(kind__in=["annual", "transfer"]) & ~Q(status__in=["approved", "rejected", "withdrawn"])),
        ]

    def __str__(self):
        return self.number or f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)


class ItemKind(models.TextChoices):
    WORK = "work", _("Work experience")
    AUDIT = "audit", _("Audit experience")
    TRAINING = "training", _("Training")
    EDUCATION = "education", _("Education")


class ApplicationItem(models.Model):
    """An experience in an application: its data as submitted (copied from the library or typed in),
    and the reason when a reviewer returned the application because of it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="items",
                                    verbose_name=_("application"))
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices)
    data = models.JSONField(_("data"), default=dict)
    source_id = models.PositiveBigIntegerField(_("library entry"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    return_reason = models.TextField(_("reason for rectification"), blank=True)

    class Meta:
        verbose_name = _("application item")
        verbose_name_plural = _("application items")
        ordering = ["application", "kind", "order", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.data.get('title', '')}"


def _evidence_path(instance, filename):
    return f"certification/{instance.application_id}/{secrets.token_hex(8)}-{filename[-60:]}"


class Evidence(TimeStampedModel):
    """A supporting file (private: served only to the applicant, the reviewers and staff)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evidence",
                                    verbose_name=_("application"))
    item = models.ForeignKey(ApplicationItem, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="evidence", verbose_name=_("item"))
    file = models.FileField(_("file"), storage=private_storage, upload_to=_evidence_path)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("uploaded by"))

    class Meta:
        verbose_name = _("supporting file")
        verbose_name_plural = _("supporting files")
        ordering = ["created_at"]

    def __str__(self):
        return self.name


class EvaluationResult(models.TextChoices):
    CONFORMING = "conforming", _("Conforming")
    NOT_CONFORMING = "not_conforming", _("Not conforming")


class Evaluation(TimeStampedModel):
    """专家评价: one expert's evaluation of one application, item by item."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evaluations",
                                    verbose_name=_("application"))
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluations",
                               verbose_name=_("expert"))
    result = models.CharField(_("result"), max_length=20, choices=EvaluationResult.choices, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("expert evaluation")
        verbose_name_plural = _("expert evaluations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.application} / {self.expert}"


class ItemVerdict(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="verdicts",
                                   verbose_name=_("evaluation"))
    # An item the applicant removes in a later round keeps the expert's verdict on it (with its title).
    item = models.ForeignKey(ApplicationItem, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="verdicts", verbose_name=_("item"))
    item_title = models.CharField(_("item"), max_length=300, blank=True)
    conforming = models.BooleanField(_("conforming"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("item verdict")
        verbose_name_plural = _("item verdicts")
        constraints = [models.UniqueConstraint(fields=["evaluation", "item"], name="one_verdict_per_item")]


class VoucherStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


def _voucher_path(instance, filename):
    return f"certification/{instance.application_id}/voucher-{secrets.token_hex(8)}-{filename[-40:]}"


class PaymentVoucher(TimeStampedModel):
    """线下缴费: a payment voucher (image or PDF) staff confirm or reject with a reason (SPEC E6, G3);
    a rejected voucher can be replaced by a new one. The invoice wish travels with it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="vouchers",
                                    verbose_name=_("application"))
    file = models.FileField(_("voucher"), storage=private_storage, upload_to=_voucher_path)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=10, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=VoucherStatus.choices,
                              default=VoucherStatus.SUBMITTED)
    reason = models.TextField(_("reason"), blank=True)
    invoice_wanted = models.BooleanField(_("invoice wanted"), default=False)
    invoice_type = models.CharField(_("invoice type"), max_length=20, blank=True)
    invoice_title = models.CharField(_("invoice title"), max_length=100, blank=True)
    invoice_tax_number = models.CharField(_("tax number"), max_length=18, blank=True)
    # Numbered from the exam invoices' yearly counter (payments.InvoiceCounter) when staff confirm
    # a voucher whose payer asked for an invoice: one series of invoice numbers for the association.
    invoice_number = models.CharField(_("invoice number"), max_length=32, unique=True, null=True, blank=True)
    invoice_issued_at = models.DateTimeField(_("invoice issued at"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("uploaded by"))

    class Meta:
        verbose_name = _("payment voucher")
        verbose_name_plural = _("payment vouchers")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=VoucherStatus.values), name="voucher_status_valid"),
            models.UniqueConstraint(fields=["application"], condition=Q(status="submitted"),
                                    name="one_voucher_waiting_per_application"),
        ]

    def __str__(self):
        return f"{self.application} {self.amount}"


# --------------------------------------------------------------------------- certificates


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


def _token() -> str:
    return secrets.token_urlsafe(24)


def _verification_code() -> str:
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))


class Certificate(TimeStampedModel):
    """注册证书. "Expired" is not stored: a valid certificate past `valid_until` is expired."""

    number = models.CharField(_("certificate number"), max_length=30, unique=True)
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates",
                               verbose_name=_("holder"))
    track = models.ForeignKey(Track, on_delete=models.PROTECT, verbose_name=_("field and level"))
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="certificates", verbose_name=_("practicing institution"))
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=20, choices=CertificateStatus.choices,
                              default=CertificateStatus.VALID)
    status_reason = models.TextField(_("reason"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    verification_code = models.CharField(_("verification code"), max_length=8, default=_verification_code)
    token = models.CharField(_("verification link token"), max_length=64, unique=True, default=_token)
    application = models.ForeignKey(Application, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="issued_certificates", verbose_name=_("issued on application"))

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on", "number"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CertificateStatus.values), name="certificate_status_valid"),
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("issued_on")),
                                   name="certificate_valid_after_issue"),
        ]

    def __str__(self):
        return self.number

    def is_expired(self, today=None) -> bool:
        return self.status == CertificateStatus.VALID and self.valid_until < (today or timezone.localdate())

    def shown_status(self, today=None) -> str:
        """有效, 已过期, 已暂停, 已撤销: what the verification page and the holder see."""
        if self.is_expired(today):
            return "expired"
        return self.status


class CertificateReminder(models.Model):
    """One expiry reminder sent (90, 60, 30 days before, settings.CERTIFICATION_REMINDER_DAYS): at most
    one per certificate, expiry date and threshold, so a second run sends nothing and a renewed
    certificate is reminded again before its new expiry date."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="reminders",
                                    verbose_name=_("certificate"))
    valid_until = models.DateField(_("valid until"))
    days_before = models.PositiveSmallIntegerField(_("days before expiry"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("expiry reminder")
        verbose_name_plural = _("expiry reminders")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "valid_until", "days_before"],
                                    name="one_reminder_per_certificate_expiry_and_threshold"),
        ]

    def __str__(self):
        return f"{self.certificate} −{self.days_before}"
