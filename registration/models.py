from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import EducationLevel
from core.models import TimeStampedModel
from core.regions import Province
from exams.models import Area, Exam, SeatQuota, Sitting, Subject
from photos.models import private_storage


class EnrollmentStatus(models.TextChoices):
    DRAFT = "draft", _("Filling in")
    IN_REVIEW = "in_review", _("Qualification review")
    REVIEW_REJECTED = "review_rejected", _("Review not passed")
    CONFIRMED = "confirmed", _("Confirmed, awaiting payment")
    PENDING_PAYMENT = "pending_payment", _("Order created, unpaid")
    ENROLLED = "enrolled", pgettext_lazy("enrollment status", "Registration complete")
    REFUNDED = "refunded", _("Refunded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = EnrollmentStatus
# Every legal move, who may make it and why not: registration.states.ENROLLMENT (the workflow core).
INACTIVE = [S.REFUNDED, S.WITHDRAWN]
# Information, subjects and area can be changed while no seat is taken.
EDITABLE = [S.DRAFT, S.CONFIRMED, S.REVIEW_REJECTED]


class InvoiceType(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    ENTERPRISE = "enterprise", _("Enterprise")


class Enrollment(TimeStampedModel):
    """报名: one candidate's registration for one exam, step by step."""

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments",
                                  verbose_name=_("candidate"))
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("exam"))
    status = models.CharField(_("status"), max_length=20, choices=EnrollmentStatus.choices,
                              default=EnrollmentStatus.DRAFT, db_index=True)
    notice_accepted_at = models.DateTimeField(_("notice accepted at"))
    # 报名信息 (SPEC D3)
    province = models.CharField(_("province"), max_length=2, choices=Province.choices, blank=True)
    nationality = models.CharField(_("nationality"), max_length=50, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    residence_city = models.CharField(_("city of residence"), max_length=50, blank=True)
    education_level = models.CharField(_("education"), max_length=20, choices=EducationLevel.choices, blank=True)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    mailing_address = models.CharField(_("mailing address"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    invoice_wanted = models.BooleanField(_("invoice wanted"), default=False)
    invoice_type = models.CharField(_("invoice type"), max_length=20, choices=InvoiceType.choices, blank=True)
    invoice_title = models.CharField(_("invoice title"), max_length=100, blank=True)
    invoice_tax_number = models.CharField(_("tax number"), max_length=18, blank=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("exam area"))
    info_saved_at = models.DateTimeField(_("information saved at"), null=True, blank=True)
    subjects_saved_at = models.DateTimeField(_("subjects saved at"), null=True, blank=True)
    area_saved_at = models.DateTimeField(_("area saved at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    dishonest_flag = models.BooleanField(_("on the dishonest-person list"), default=False)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "exam"], condition=~Q(status__in=INACTIVE),
                                    name="enrollment_one_active_per_candidate_exam"),
            models.CheckConstraint(condition=Q(status__in=EnrollmentStatus.values), name="enrollment_status_valid"),
            models.CheckConstraint(
                condition=~Q(invoice_type=InvoiceType.ENTERPRISE) | ~Q(invoice_tax_number=""),
                name="enrollment_enterprise_invoice_has_tax_number"),
        ]

    def __str__(self):
        return f"{self.candidate} · {self.exam}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE


class EnrollmentSubject(models.Model):
    """One chosen subject; at most one per sitting."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="choices")
    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="+", verbose_name=_("sitting"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("subject"))

    class Meta:
        verbose_name = _("chosen subject")
        verbose_name_plural = _("chosen subjects")
        ordering = ["sitting__starts_at"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "sitting"], name="one_subject_per_sitting")]

    def __str__(self):
        return f"{self.sitting.name}: {self.subject}"


class SeatState(models.TextChoices):
    HELD = "held", _("Held (unpaid)")
    SOLD = "sold", _("Sold (paid)")


class EnrollmentSeat(models.Model):
    """A seat this enrollment occupies in a quota; the quota's held/sold counts add these up."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="seats")
    quota = models.ForeignKey(SeatQuota, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=SeatState.choices, default=SeatState.HELD)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment seat")
        verbose_name_plural = _("enrollment seats")
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "quota"], name="enrollment_seat_once_per_quota"),
            models.CheckConstraint(condition=Q(state__in=SeatState.values), name="enrollment_seat_state_valid"),
        ]


class AdmissionTicket(models.Model):
    """准考证 entry: one per paid enrollment and sitting, with venue, room and seat. Never changed
    by a later allocation run; refunded candidates' tickets are voided."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="tickets")
    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="+", verbose_name=_("sitting"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("subject"))
    venue = models.ForeignKey("exams.Venue", on_delete=models.PROTECT, related_name="tickets",
                              verbose_name=_("venue"))
    room = models.PositiveSmallIntegerField(_("room"))
    seat = models.PositiveSmallIntegerField(_("seat"))
    number = models.CharField(_("admission ticket number"), max_length=20, unique=True)
    void = models.BooleanField(_("void"), default=False)
    created_at = models.DateTimeField(_("allocated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("admission ticket")
        verbose_name_plural = _("admission tickets")
        ordering = ["sitting__starts_at", "number"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "sitting"], name="ticket_one_per_enrollment_sitting"),
            models.UniqueConstraint(fields=["sitting", "venue", "room", "seat"], condition=Q(void=False),
                                    name="ticket_one_candidate_per_seat"),
        ]

    def __str__(self):
        return self.number


class Score(models.Model):
    """成绩 of one ticket, imported by staff."""

    ticket = models.OneToOneField(AdmissionTicket, on_delete=models.PROTECT, related_name="score",
                                  verbose_name=_("admission ticket"))
    value = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [models.CheckConstraint(condition=Q(value__gte=0) & Q(value__lte=100), name="score_in_range")]


class ScoreReviewStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    UPHELD = "upheld", _("Score confirmed")
    CORRECTED = "corrected", _("Score corrected")


class ScoreReview(TimeStampedModel):
    """成绩复核: a candidate's request and the staff decision."""

    ticket = models.ForeignKey(AdmissionTicket, on_delete=models.PROTECT, related_name="reviews",
                               verbose_name=_("admission ticket"))
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="score_reviews",
                                  verbose_name=_("candidate"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=20, choices=ScoreReviewStatus.choices,
                              default=ScoreReviewStatus.REQUESTED)
    outcome = models.TextField(_("outcome"), blank=True)
    new_value = models.DecimalField(_("corrected score"), max_digits=5, decimal_places=1, null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))

    class Meta:
        verbose_name = _("score review")
        verbose_name_plural = _("score reviews")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=Q(status="requested"),
                                    name="score_review_one_open_per_ticket"),
            models.CheckConstraint(condition=Q(status__in=ScoreReviewStatus.values), name="score_review_status_valid"),
        ]


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    PHOTOS = "zip", _("Photos (zip)")


def _export_path(instance, filename):
    return f"exports/{instance.requested_by_id}/{filename}"


class RosterExport(TimeStampedModel):
    """A roster file made by the worker; only the staff member who asked can download it."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("requested by"))
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+", verbose_name=_("exam"))
    filters = models.JSONField(_("filters"), default=dict)
    format = models.CharField(_("format"), max_length=10, choices=ExportFormat.choices)
    full_id_numbers = models.BooleanField(_("full ID numbers"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    file = models.FileField(_("file"), storage=private_storage, upload_to=_export_path, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("roster export")
        verbose_name_plural = _("roster exports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.exam} · {self.format} · {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"
