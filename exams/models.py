from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.regions import Province


class ExamBody(models.TextChoices):
    CCAA = "ccaa", _("CCAA unified certification-personnel exam")
    CPTA = "cpta", _("CPTA professional-qualification exam")
    ACCOUNTING = "accounting", _("National accounting qualification exam")


class ExamStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class ReviewMode(models.TextChoices):
    """Qualification review (资格审核, SPEC D10)."""

    NONE = "none", _("No qualification review")
    BEFORE_PAYMENT = "before_payment", _("Review before payment")
    AFTER_EXAM = "after_exam", _("Review after the exam")


def _window_ordered(opens: str, closes: str, name: str, message) -> models.CheckConstraint:
    """An optional window: both ends or neither, and it closes after it opens."""
    return models.CheckConstraint(
        condition=Q(**{f"{opens}__isnull": True, f"{closes}__isnull": True})
        | Q(**{f"{opens}__isnull": False, f"{closes}__isnull": False, f"{closes}__gt": F(opens)}),
        name=name, violation_error_message=message)


# Windows an exam may have besides registration: (opens, closes, what staff are told when they disagree).
OPTIONAL_WINDOWS = (
    ("refund_opens_at", "refund_closes_at", _("The refund window needs both ends, and it closes after it opens.")),
    ("ticket_print_opens_at", "ticket_print_closes_at",
     _("The admission-ticket printing window needs both ends, and it closes after it opens.")),
    ("score_review_opens_at", "score_review_closes_at",
     _("The score review window needs both ends, and it closes after it opens.")),
)


class Exam(TimeStampedModel):
    """考试: one exam period with its windows, texts and fees."""

    name = models.CharField(_("name"), max_length=200)
    body = models.CharField(_("exam body"), max_length=20, choices=ExamBody.choices, default=ExamBody.CCAA)
    status = models.CharField(_("status"), max_length=20, choices=ExamStatus.choices, default=ExamStatus.DRAFT)
    registration_opens_at = models.DateTimeField(_("registration opens"))
    registration_closes_at = models.DateTimeField(_("registration closes"))
    refund_opens_at = models.DateTimeField(_("refund window opens"), null=True, blank=True)
    refund_closes_at = models.DateTimeField(_("refund window closes"), null=True, blank=True)
    ticket_print_opens_at = models.DateTimeField(_("admission-ticket printing opens"), null=True, blank=True)
    ticket_print_closes_at = models.DateTimeField(_("admission-ticket printing closes"), null=True, blank=True)
    exam_starts_on = models.DateField(_("first exam day"))
    exam_ends_on = models.DateField(_("last exam day"))
    notice = models.TextField(_("candidate notice"), help_text=_("考生须知: shown before enrollment."))
    commitment = models.TextField(_("commitment text"), blank=True, help_text=_("承诺书 / 告知承诺制."))
    score_review_opens_at = models.DateTimeField(_("score review opens"), null=True, blank=True)
    score_review_closes_at = models.DateTimeField(_("score review closes"), null=True, blank=True)
    review_mode = models.CharField(_("qualification review"), max_length=20, choices=ReviewMode.choices,
                                   default=ReviewMode.NONE)
    requires_province = models.BooleanField(_("candidate chooses a province"), default=False)

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ["-registration_opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ExamStatus.values), name="exam_status_valid"),
            models.CheckConstraint(condition=Q(body__in=ExamBody.values), name="exam_body_valid"),
            models.CheckConstraint(condition=Q(review_mode__in=ReviewMode.values), name="exam_review_mode_valid"),
            models.CheckConstraint(condition=Q(registration_closes_at__gt=F("registration_opens_at")),
                                   name="exam_registration_window_ordered"),
            models.CheckConstraint(condition=Q(exam_ends_on__gte=F("exam_starts_on")), name="exam_days_ordered"),
            _window_ordered("refund_opens_at", "refund_closes_at", "exam_refund_window_ordered",
                            OPTIONAL_WINDOWS[0][2]),
            _window_ordered("ticket_print_opens_at", "ticket_print_closes_at", "exam_ticket_window_ordered",
                            OPTIONAL_WINDOWS[1][2]),
            _window_ordered("score_review_opens_at", "score_review_closes_at", "exam_score_review_window_ordered",
                            OPTIONAL_WINDOWS[2][2]),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        """The windows' rules, each told next to the field staff must change (the constraints above
        guard the database; these give the message its place in the form)."""
        errors = {}
        if self.registration_opens_at and self.registration_closes_at \
                and self.registration_closes_at <= self.registration_opens_at:
            errors["registration_closes_at"] = _("Registration closes after it opens.")
        if self.exam_starts_on and self.exam_ends_on and self.exam_ends_on < self.exam_starts_on:
            errors["exam_ends_on"] = _("The last exam day is not before the first.")
        for opens, closes, message in OPTIONAL_WINDOWS:
            start, end = getattr(self, opens), getattr(self, closes)
            if (start is None) != (end is None):
                errors[closes if end is None else opens] = message
            elif start is not None and end <= start:
                errors[closes] = message
        # A review is of a score: the window opens once the exam is over (the request is refused before).
        if self.score_review_opens_at and self.exam_ends_on and "score_review_opens_at" not in errors \
                and timezone.localtime(self.score_review_opens_at).date() <= self.exam_ends_on:
            errors["score_review_opens_at"] = _("Score reviews open after the last exam day (%(day)s).") % {
                "day": self.exam_ends_on.isoformat()}
        if errors:
            raise ValidationError(errors)

    def ticket_printing_is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.ticket_print_opens_at and self.ticket_print_closes_at
                    and self.ticket_print_opens_at <= now < self.ticket_print_closes_at)

    def score_review_is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.score_review_opens_at and self.score_review_closes_at
                    and self.score_review_opens_at <= now < self.score_review_closes_at)

    def registration_is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (self.status == ExamStatus.PUBLISHED
                and self.registration_opens_at <= now < self.registration_closes_at)


class Subject(models.Model):
    """科目, with its fee."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="subjects", verbose_name=_("exam"))
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=20)
    fee = models.DecimalField(_("fee (CNY)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["exam", "code"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "code"], name="subject_code_unique_per_exam"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="subject_fee_not_negative"),
        ]

    def __str__(self):
        return self.name


class Sitting(models.Model):
    """场次: a time slot; a candidate takes at most one subject per sitting."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="sittings", verbose_name=_("exam"))
    name = models.CharField(_("name"), max_length=50)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    subjects = models.ManyToManyField(Subject, related_name="sittings", verbose_name=_("subjects offered"))

    class Meta:
        verbose_name = _("sitting")
        verbose_name_plural = _("sittings")
        ordering = ["exam", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="sitting_times_ordered"),
        ]

    def __str__(self):
        return f"{self.name} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class Area(models.Model):
    """考区: a city where exams are held, shared by all exams."""

    province = models.CharField(_("province"), max_length=2, choices=Province.choices)
    name = models.CharField(_("city"), max_length=50)
    order = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("exam area")
        verbose_name_plural = _("exam areas")
        ordering = ["order", "province", "name"]
        constraints = [models.UniqueConstraint(fields=["province", "name"], name="area_unique_per_province")]

    def __str__(self):
        return self.name

    def clean(self):
        """An area with seat quotas stays in its province: its candidates are reviewed by that province."""
        if self.pk and self.province:
            stored = Area.objects.filter(pk=self.pk).values_list("province", flat=True).first()
            if stored is not None and stored != self.province and self.quotas.exists():
                raise ValidationError({"province": _("Seat quotas use this area: its province can no longer "
                                                     "change.")})


class Venue(models.Model):
    """考点: an exam site in an area."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="venues", verbose_name=_("area"))
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200)
    rooms = models.PositiveSmallIntegerField(_("exam rooms"), default=10)
    seats_per_room = models.PositiveSmallIntegerField(_("seats per room"), default=30)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["area", "name"]

    def __str__(self):
        return f"{self.area} · {self.name}"

    def clean(self):
        """A venue with admission tickets stays in its area: moving it would send candidates to another city."""
        if self.pk and self.area_id:
            stored = Venue.objects.filter(pk=self.pk).values_list("area_id", flat=True).first()
            if stored is not None and stored != self.area_id and self.tickets.exists():
                raise ValidationError({"area": _("Admission tickets name this venue: it cannot move to another "
                                                 "area. Add a new venue there instead.")})


class SeatQuotaQuerySet(models.QuerySet):
    def with_seats_left(self):
        """Each quota with `seats_left` (capacity minus held and sold seats): the one definition of
        seats left, read by the seat figures, the checks before a seat is taken, admin and the
        dashboard. Who may take a seat is decided by exams.services' conditional UPDATE."""
        return self.annotate(seats_left=F("capacity") - F("held") - F("sold"))


class SeatQuota(models.Model):
    """名额: seats of one exam in one area for one sitting.

    `held` counts seats taken by unpaid orders, `sold` seats of paid ones. The database refuses
    `held + sold > capacity`; exams.services is the only code that moves these numbers."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("exam"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="quotas", verbose_name=_("area"))
    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("sitting"))
    capacity = models.PositiveIntegerField(_("capacity"))
    held = models.PositiveIntegerField(_("held (unpaid)"), default=0)
    sold = models.PositiveIntegerField(_("sold (paid)"), default=0)

    objects = SeatQuotaQuerySet.as_manager()

    class Meta:
        verbose_name = _("seat quota")
        verbose_name_plural = _("seat quotas")
        ordering = ["exam", "area__order", "area__name", "sitting__starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "area", "sitting"], name="quota_unique_per_exam_area_sitting"),
            models.CheckConstraint(condition=Q(held__gte=0) & Q(sold__gte=0), name="quota_counts_not_negative"),
            models.CheckConstraint(condition=Q(capacity__gte=F("held") + F("sold")), name="quota_never_oversold"),
        ]

    def __str__(self):
        return f"{self.exam} · {self.area} · {self.sitting.name}"

    def clean(self):
        """The sitting is one of this exam's: another exam's sitting would sell seats of the wrong exam
        and show them under the wrong exam and area on the dashboard."""
        # An existing quota keeps its exam, area and sitting (read-only in admin; seats may be taken).
        if self._state.adding and self.exam_id and self.sitting_id and self.sitting.exam_id != self.exam_id:
            raise ValidationError({"sitting": _("This sitting belongs to another exam (%(exam)s): choose a sitting "
                                                "of %(this)s.") % {"exam": self.sitting.exam, "this": self.exam}})


class ReleaseStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    APPLIED = "applied", _("Applied")
    CANCELLED = "cancelled", _("Cancelled")


class SeatRelease(models.Model):
    """A batch of extra seats for a quota, now or at a scheduled time (放出名额)."""

    quota = models.ForeignKey(SeatQuota, on_delete=models.CASCADE, related_name="releases", verbose_name=_("quota"))
    seats = models.PositiveIntegerField(_("seats"))
    release_at = models.DateTimeField(_("release at"))
    status = models.CharField(_("status"), max_length=20, choices=ReleaseStatus.choices,
                              default=ReleaseStatus.SCHEDULED)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("seat release")
        verbose_name_plural = _("seat releases")
        ordering = ["release_at", "id"]
        indexes = [models.Index(fields=["status", "release_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReleaseStatus.values), name="release_status_valid"),
            models.CheckConstraint(condition=Q(seats__gt=0), name="release_seats_positive"),
        ]

    def __str__(self):
        return f"+{self.seats} · {self.quota}"
