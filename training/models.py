"""Training (SPEC H1–H6, seed 002 §5): course categories and the teachers bound to them, course
filings confirmed by their teachers and approved by the association, teachers leaving a filed
course, training plans, and expert evaluation of course material (online courses and old-course
re-review). Status changes go through `training.states` (the workflow core)."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.storage import private_storage


class CourseCategory(models.Model):
    """课程类别: a tree staff maintain (e.g. 管理体系 › QMS 审核员培训)."""

    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("parent category"))
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("course category")
        verbose_name_plural = _("course categories")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.parent} › {self.name}" if self.parent_id else self.name


class ReviewStatus(models.TextChoices):
    """The states of the small review chains (a binding, an unbinding, a plan's confirmations)."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for review")
    INSTITUTION_REVIEW = "institution_review", _("Institution review")
    ASSOCIATION_REVIEW = "association_review", _("Association review")
    RETURNED = "returned", _("Returned for rectification")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class TeacherBinding(TimeStampedModel):
    """绑定课程类别 (H1): a person binds themselves to a category with the experience that qualifies
    them (a snapshot of work or teaching experience, from the library or typed in); staff review it."""

    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="teacher_bindings",
                                verbose_name=_("teacher"))
    category = models.ForeignKey(CourseCategory, on_delete=models.PROTECT, related_name="bindings",
                                 verbose_name=_("course category"))
    experiences = models.JSONField(_("qualifying experience"), default=list)
    status = models.CharField(_("status"), max_length=30, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("teacher's course category")
        verbose_name_plural = _("teachers' course categories")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["teacher", "category"], name="one_open_binding_per_category",
                                    condition=~Q(status__in=["rejected", "withdrawn"])),
        ]

    def __str__(self):
        return f"{self.teacher} · {self.category}"


class CourseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    TEACHER_CONFIRMATION = "teacher_confirmation", _("Waiting for the teachers")
    ASSOCIATION_REVIEW = "association_review", _("Association review")
    RETURNED = "returned", _("Returned for rectification")
    FILED = "filed", _("Filed")
    REJECTED = "rejected", _("Not filed")
    WITHDRAWN = "withdrawn", _("Filing withdrawn")


class Course(TimeStampedModel):
    """课程备案 (H2): a course an institution teaches; approval gives it a filing number."""

    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="courses",
                                    verbose_name=_("institution"))
    category = models.ForeignKey(CourseCategory, on_delete=models.PROTECT, related_name="courses",
                                 verbose_name=_("course category"))
    title = models.CharField(_("course title"), max_length=200)
    hours = models.PositiveSmallIntegerField(_("hours"))
    syllabus = models.TextField(_("syllabus"))
    online = models.BooleanField(_("online course"), default=False)
    status = models.CharField(_("status"), max_length=30, choices=CourseStatus.choices, default=CourseStatus.DRAFT,
                              db_index=True)
    filing_number = models.CharField(_("filing number"), max_length=30, unique=True, null=True, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    rereview_due_on = models.DateField(_("re-review due on"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("course filing")
        verbose_name_plural = _("course filings")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="course_hours_positive"),
            models.CheckConstraint(condition=Q(status__in=CourseStatus.values), name="course_status_valid"),
        ]

    def __str__(self):
        return self.filing_number or self.title


class ConfirmationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")


class CourseTeacher(models.Model):
    """A teacher named on a course filing, who confirms or declines with an opinion (备案课程教师确认)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="teachers", verbose_name=_("course"))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="course_teaching",
                                verbose_name=_("teacher"))
    status = models.CharField(_("confirmation"), max_length=20, choices=ConfirmationStatus.choices,
                              default=ConfirmationStatus.PENDING)
    opinion = models.TextField(_("opinion"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    active = models.BooleanField(_("teaching it"), default=True)  # False once unbound (解除备案)

    class Meta:
        verbose_name = _("course teacher")
        verbose_name_plural = _("course teachers")
        constraints = [models.UniqueConstraint(fields=["course", "teacher"], name="course_teacher_once")]

    def __str__(self):
        return f"{self.course} · {self.teacher}"


class Unbinding(TimeStampedModel):
    """解除备案 (H3): a teacher asks to leave a filed course; the institution reviews, then staff."""

    course_teacher = models.ForeignKey(CourseTeacher, on_delete=models.PROTECT, related_name="unbindings",
                                       verbose_name=_("course teacher"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=30, choices=ReviewStatus.choices,
                              default=ReviewStatus.INSTITUTION_REVIEW)

    class Meta:
        verbose_name = _("unbinding request")
        verbose_name_plural = _("unbinding requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["course_teacher"], name="one_open_unbinding",
                                    condition=Q(status__in=["institution_review", "association_review"])),
        ]

    def __str__(self):
        return f"{self.course_teacher}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    TEACHER_CONFIRMATION = "teacher_confirmation", _("Waiting for the teachers")
    REPORTED = "reported", _("Reported")
    RETURNED = "returned", _("Returned to the institution")
    CANCELLED = "cancelled", _("Cancelled")


class TrainingPlan(TimeStampedModel):
    """培训计划 (H4): a filed course held on dates, in a place or online, for at most `capacity`."""

    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="training_plans",
                                    verbose_name=_("institution"))
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="plans", verbose_name=_("course"))
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online = models.BooleanField(_("online"), default=False)
    capacity = models.PositiveIntegerField(_("capacity"))
    status = models.CharField(_("status"), max_length=30, choices=PlanStatus.choices, default=PlanStatus.DRAFT)

    class Meta:
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="plan_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="plan_capacity_positive"),
            models.CheckConstraint(condition=Q(online=True) | ~Q(place=""), name="plan_place_or_online"),
        ]

    def __str__(self):
        return f"{self.course.title} {self.starts_on}–{self.ends_on}"


class PlanTeacher(models.Model):
    """培训计划教师确认: a teacher named on a plan confirms with a result and a reason."""

    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="teachers", verbose_name=_("plan"))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plan_teaching",
                                verbose_name=_("teacher"))
    status = models.CharField(_("confirmation"), max_length=20, choices=ConfirmationStatus.choices,
                              default=ConfirmationStatus.PENDING)
    reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan teacher")
        verbose_name_plural = _("plan teachers")
        constraints = [models.UniqueConstraint(fields=["plan", "teacher"], name="plan_teacher_once")]


class MaterialKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    VIDEO = "video", _("Video")


def _material_path(instance, filename):
    return f"training/{instance.course_id}/{secrets.token_hex(8)}-{filename[-60:]}"


class CourseMaterial(TimeStampedModel):
    """Course material (documents, videos): private, size-limited, type-checked by content."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="materials", verbose_name=_("course"))
    kind = models.CharField(_("kind"), max_length=20, choices=MaterialKind.choices)
    file = models.FileField(_("file"), storage=private_storage, upload_to=_material_path)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("uploaded by"))

    class Meta:
        verbose_name = _("course material")
        verbose_name_plural = _("course materials")
        ordering = ["created_at"]

    def __str__(self):
        return self.name


class EvaluationCriterion(models.Model):
    """A criterion staff define for material evaluations, with the most points it can give."""

    kind = models.CharField(_("for"), max_length=20, choices=MaterialKind.choices)
    name = models.CharField(_("criterion"), max_length=200)
    max_points = models.PositiveSmallIntegerField(_("points at most"), default=10)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("evaluation criterion")
        verbose_name_plural = _("evaluation criteria")
        ordering = ["kind", "order", "pk"]

    def __str__(self):
        return self.name


class EvaluationPurpose(models.TextChoices):
    ONLINE_COURSE = "online_course", _("Online-course evaluation")
    REREVIEW = "rereview", _("Old-course re-review")


class EvaluationStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an expert")
    ASSIGNED = "assigned", _("With an expert")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Not passed")


class MaterialEvaluation(TimeStampedModel):
    """网络课程评价 (H5) or 老课复审 (H6) of one course's material by an expert the staff assign: scores
    per criterion, an opinion and a result. A re-review's result renews or withdraws the filing."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("course"))
    purpose = models.CharField(_("purpose"), max_length=20, choices=EvaluationPurpose.choices)
    kind = models.CharField(_("evaluation of"), max_length=20, choices=MaterialKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=EvaluationStatus.choices,
                              default=EvaluationStatus.WAITING)
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="material_evaluations", verbose_name=_("expert"))
    scores = models.JSONField(_("scores"), default=dict)  # criterion id -> points
    opinion = models.TextField(_("opinion"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("material evaluation")
        verbose_name_plural = _("material evaluations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "purpose", "kind"], name="one_open_material_evaluation",
                                    condition=Q(status__in=["waiting", "assigned"])),
        ]

    def __str__(self):
        return f"{self.course} · {self.get_purpose_display()}"

    @property
    def total(self) -> int:
        return sum(int(points) for points in self.scores.values())
