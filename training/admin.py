"""培训 in Django admin (association staff, SPEC H1–H6): the category tree and the evaluation criteria
staff maintain; teachers' bindings, course filings and unbinding requests decided through the
workflow's actions (core.admin_workflow.decision, offered where `allowed_actions` lets this staff
member act); plans and course material read-only; material evaluations assigned to an expert
(conflicts of interest named per row), and re-reviews (老课复审) opened for courses past their date."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from certification.admin import ExpertChoiceForm
from core.admin_forms import (
    CatalogueAdmin,
    DecisionButtonsMixin,
    DecisionsOnlyAdmin,
    PlainTextAdmin,
    ReadOnlyAdmin,
)
from core.admin_history import AuditHistoryMixin
from core.admin_labels import local_time
from core.admin_search import CandidateSearchMixin
from core.admin_workflow import decision
from core.exceptions import DomainError
from core.models import Assignment
from core.workflow import allowed_actions

from . import services
from .expert_views import material_response
from .models import (
    Course,
    CourseCategory,
    CourseMaterial,
    CourseTeacher,
    EvaluationCriterion,
    EvaluationPurpose,
    MaterialEvaluation,
    MaterialKind,
    PlanTeacher,
    TeacherBinding,
    TrainingPlan,
    Unbinding,
)
from .states import EVALUATION_STAGE

# --------------------------------------------------------------------------- what staff maintain


@admin.register(CourseCategory)
class CourseCategoryAdmin(CatalogueAdmin):
    """课程类别: a tree; a teacher bound to a category may teach the courses of the categories below it."""

    list_display = ("__str__", "code", "parent", "order")
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("parent__parent",)
    search_fields = ("code", "name", "parent__name")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":  # not itself: a category cannot be its own parent
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = CourseCategory.objects.exclude(pk=object_id) if object_id else CourseCategory.objects
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(EvaluationCriterion)
class EvaluationCriterionAdmin(CatalogueAdmin):
    """What an expert scores a document or a video on, with the most points each gives."""

    list_display = ("name", "kind", "max_points", "order")
    list_filter = ("kind",)
    search_fields = ("name",)


# --------------------------------------------------------------------------- H1 teachers' bindings


def _binding(action: str):
    def carry_out(request, binding, reason):
        services.binding_decide(binding=binding, actor=request.user, action=action, reason=reason)

    return carry_out


@admin.register(TeacherBinding)
class TeacherBindingAdmin(CandidateSearchMixin, DecisionButtonsMixin, AuditHistoryMixin, DecisionsOnlyAdmin):
    list_display = ("teacher", "category", "status", "submitted_at")
    list_filter = ("status", ("category", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("teacher", "category__parent")
    candidate_path = "teacher"
    search_help_text = _("Search by the teacher's name, username, mobile or full ID number.")
    exclude = ("experiences",)
    decision_names = ("approve", "return", "reject")
    actions = (
        decision("approve", _("Approve"), _binding("approve")),
        decision("return", _("Return for rectification (asks for the reason)"), _binding("return"),
                 reason_label=_("What to rectify (the teacher reads it)")),
        decision("reject", _("Reject (asks for the reason)"), _binding("reject"),
                 reason_label=_("Reason (the teacher reads it)")),
    )

    def get_readonly_fields(self, request, obj=None):
        return [n for n in super().get_readonly_fields(request, obj) if n != "experiences"] + ["experience_lines"]

    @admin.display(description=_("qualifying experience"))
    def experience_lines(self, binding):
        rows = [("; ".join(f"{key}: {value}" for key, value in entry.items()),) if isinstance(entry, dict)
                else (str(entry),) for entry in binding.experiences or []]
        return format_html_join("", "<div>{}</div>", rows) or "—"


# --------------------------------------------------------------------------- H2 course filings, H6 re-review


class CourseTeacherInline(PlainTextAdmin, admin.TabularInline):
    model = CourseTeacher
    extra = 0
    can_delete = False
    fields = ("teacher", "status", "opinion", "decided_at", "active")
    readonly_fields = fields
    verbose_name_plural = _("teachers and their confirmations")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _material_link(material) -> str:
    return format_html('<a href="{}" data-testid="material-{}">{}</a>',
                       reverse("admin:training_coursematerial_download", args=[material.pk]), material.pk,
                       material.name)


class CourseMaterialInline(PlainTextAdmin, admin.TabularInline):
    model = CourseMaterial
    extra = 0
    can_delete = False
    fields = ("download", "kind", "content_type", "uploaded_by", "created_at")
    readonly_fields = fields
    verbose_name_plural = _("course material")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def download(self, material):
        return _material_link(material)


class RereviewDueFilter(admin.SimpleListFilter):
    """老课复审: filed courses past their re-review date with no re-review under way."""

    title = _("re-review")
    parameter_name = "rereview"

    def lookups(self, request, model_admin):
        return [("due", _("Due for re-review"))]

    def queryset(self, request, queryset):
        if self.value() == "due":
            return queryset.filter(pk__in=services.courses_due_for_rereview().values("pk"))
        return queryset


class RereviewForm(forms.Form):
    kind = forms.ChoiceField(label=_("Evaluation of"), choices=MaterialKind.choices, initial=MaterialKind.DOCUMENT,
                             help_text=_("The course material the expert evaluates: its documents or its videos."))


def _course(action: str):
    def carry_out(request, course, reason):
        services.course_decide(course=course, actor=request.user, action=action, reason=reason)

    return carry_out


def _withdraw_filing(request, course, reason):
    services.course_withdraw_filing(course=course, actor=request.user, reason=reason)


@admin.register(Course)
class CourseAdmin(DecisionButtonsMixin, AuditHistoryMixin, DecisionsOnlyAdmin):
    """课程备案: the filing as the institution sent it, its teachers' confirmations and its material."""

    list_display = ("title", "filing_number", "institution", "category", "hours", "online", "status",
                    "submitted_at", "rereview_due_on")
    list_filter = (RereviewDueFilter, "status", ("category", admin.RelatedOnlyFieldListFilter),
                   ("institution", admin.RelatedOnlyFieldListFilter), "online")
    list_select_related = ("institution", "category__parent")
    search_fields = ("title", "filing_number", "institution__name")
    search_help_text = _("Search by course title, filing number or institution.")
    date_hierarchy = "submitted_at"
    inlines = (CourseTeacherInline, CourseMaterialInline)
    decision_names = ("approve", "return", "reject", "withdraw_filing")
    actions = (
        decision("approve", _("File the course (gives the filing number)"), _course("approve")),
        decision("return", _("Return for rectification (asks for the reason)"), _course("return"),
                 reason_label=_("What to rectify (the institution reads it)")),
        decision("reject", _("Reject (asks for the reason)"), _course("reject"),
                 reason_label=_("Reason (the institution reads it)")),
        decision("withdraw_filing", _("Withdraw the filing (asks for the reason)"), _withdraw_filing,
                 reason_label=_("Reason (the institution reads it)")),
        "open_rereview",
    )

    @admin.action(description=_("Open a re-review (老课复审) of the selected filed courses"), permissions=["change"])
    def open_rereview(self, request, queryset):
        form = RereviewForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return render(request, "admin/action_reason.html", {
                **self.admin_site.each_context(request), "form": form, "queryset": queryset,
                "opts": self.model._meta, "action": "open_rereview", "title": _("Open a re-review"),
                "button": _("Open the re-review")})
        opened = []
        for course in queryset:
            try:
                services.evaluation_open(course=course, purpose=EvaluationPurpose.REREVIEW,
                                         kind=form.cleaned_data["kind"], actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{course}: {exc.message}")
            else:
                opened.append(str(course))
        if opened:
            messages.success(request, _("Re-review opened for %(n)d: %(courses)s. Assign each to an expert under "
                                        "material evaluations.") % {"n": len(opened), "courses": "、".join(opened)})
        return None


# --------------------------------------------------------------------------- H3 unbinding


def _unbinding(action: str):
    def carry_out(request, unbinding, reason):
        services.unbinding_decide(unbinding=unbinding, actor=request.user, action=action, reason=reason)

    return carry_out


@admin.register(Unbinding)
class UnbindingAdmin(CandidateSearchMixin, DecisionButtonsMixin, AuditHistoryMixin, DecisionsOnlyAdmin):
    """解除备案: the institution agrees first, then staff approve (the teacher leaves the course) or reject."""

    list_display = ("teacher", "course", "institution", "reason", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("course_teacher__teacher", "course_teacher__course__institution")
    search_fields = ("course_teacher__course__title", "course_teacher__course__filing_number")
    candidate_path = "course_teacher__teacher"
    search_help_text = _("Search by course title or filing number, or the teacher's name, username, mobile or full "
                         "ID number.")
    decision_names = ("approve", "reject")
    actions = (
        decision("approve", _("Approve (the teacher leaves the course)"), _unbinding("approve")),
        decision("reject", _("Reject (asks for the reason)"), _unbinding("reject"),
                 reason_label=_("Reason (the teacher reads it)")),
    )

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "teacher", "course", "institution"]

    @admin.display(description=_("teacher"))
    def teacher(self, unbinding):
        return unbinding.course_teacher.teacher

    @admin.display(description=_("course"))
    def course(self, unbinding):
        return unbinding.course_teacher.course

    @admin.display(description=_("institution"))
    def institution(self, unbinding):
        return unbinding.course_teacher.course.institution


# --------------------------------------------------------------------------- H4 plans


class PlanTeacherInline(PlainTextAdmin, admin.TabularInline):
    model = PlanTeacher
    extra = 0
    can_delete = False
    fields = ("teacher", "status", "reason", "decided_at")
    readonly_fields = fields
    verbose_name_plural = _("teachers and their confirmations")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TrainingPlan)
class TrainingPlanAdmin(AuditHistoryMixin, ReadOnlyAdmin):
    """培训计划 as institutions reported them (the calendar is at /staff/training/plans/)."""

    list_display = ("course__title", "course", "institution", "starts_on", "ends_on", "place", "online", "capacity",
                    "status")
    list_filter = ("status", "online", ("institution", admin.RelatedOnlyFieldListFilter),
                   ("course__category", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("course", "institution")
    search_fields = ("course__title", "course__filing_number", "institution__name", "place")
    search_help_text = _("Search by course title, filing number, institution or place.")
    date_hierarchy = "starts_on"
    inlines = (PlanTeacherInline,)


# --------------------------------------------------------------------------- H5 material and its evaluation


@admin.register(CourseMaterial)
class CourseMaterialAdmin(ReadOnlyAdmin):
    list_display = ("name", "course__title", "course", "kind", "content_type", "uploaded_by", "created_at", "download")
    list_filter = ("kind",)
    list_select_related = ("course", "uploaded_by")
    search_fields = ("name", "course__title", "course__filing_number")
    exclude = ("file",)
    readonly_fields = ("course", "kind", "name", "content_type", "uploaded_by", "created_at", "download")

    @admin.display(description=_("file"))
    def download(self, material):
        return _material_link(material)

    def get_urls(self):
        return [path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="training_coursematerial_download")] + super().get_urls()

    def download_view(self, request, pk: int):
        """The stored file, to staff who may see course material (a private file: never a public URL)."""
        material = get_object_or_404(CourseMaterial, pk=pk)
        if not self.has_view_permission(request, material):
            raise PermissionDenied
        return material_response(material)


@admin.register(MaterialEvaluation)
class MaterialEvaluationAdmin(AuditHistoryMixin, DecisionsOnlyAdmin):
    """网络课程评价 and 老课复审: assigned here, scored by the expert on their own page."""

    list_display = ("course__title", "course", "purpose", "kind", "status", "expert", "total", "decided_at",
                    "created_at")
    list_filter = ("purpose", "kind", "status")
    list_select_related = ("course", "expert")
    search_fields = ("course__title", "course__filing_number", "expert__name", "expert__username")
    search_help_text = _("Search by course title, filing number or the expert's name.")
    exclude = ("scores",)
    actions = ("assign_expert",)

    def get_readonly_fields(self, request, obj=None):
        return [n for n in super().get_readonly_fields(request, obj) if n != "scores"] + [
            "score_lines", "total", "assignments"]

    @admin.display(description=_("total points"))
    def total(self, evaluation):
        return evaluation.total if evaluation.scores else "—"

    @admin.display(description=_("scores per criterion"))
    def score_lines(self, evaluation):
        criteria = EvaluationCriterion.objects.filter(kind=evaluation.kind)
        rows = [(c.name, evaluation.scores.get(str(c.pk), "—"), c.max_points) for c in criteria]
        return format_html_join("", "<div>{}: {} / {}</div>", rows) or "—"

    @admin.display(description=_("expert assignments"))
    def assignments(self, evaluation):
        rows = Assignment.objects.filter(content_type__app_label="training", content_type__model="materialevaluation",
                                         object_id=str(evaluation.pk), stage=EVALUATION_STAGE).select_related(
            "assignee")
        return format_html_join("", "<div>{} · {} {} · {}</div>", (
            (a.assignee.name or a.assignee.username, _gettext("due"), local_time(a.due_at) if a.due_at else "—",
             _gettext("done %(at)s") % {"at": local_time(a.done_at)} if a.done_at else _gettext("open"))
            for a in rows)) or "—"

    @admin.action(description=_("Assign to an expert"), permissions=["change"])
    def assign_expert(self, request, queryset):
        """分配专家, one or many at once; an expert of the course's institution is refused, row by row."""
        form = ExpertChoiceForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return render(request, "admin/action_reason.html", {
                **self.admin_site.each_context(request), "form": form, "queryset": queryset,
                "opts": self.model._meta, "action": "assign_expert", "title": _("Assign to an expert"),
                "button": _("Assign")})
        expert = form.cleaned_data["expert"]
        assigned, skipped = [], 0
        for evaluation in queryset.select_related("course"):
            if "assign" not in {a.name for a in allowed_actions(evaluation, request.user)}:
                skipped += 1
                continue
            try:
                services.evaluation_assign(evaluation=evaluation, actor=request.user, expert=expert,
                                           due_at=form.due_at)
            except DomainError as exc:
                messages.error(request, f"{evaluation}: {exc.message}")
            else:
                assigned.append(str(evaluation))
        if assigned:
            messages.success(request, _("%(n)d assigned to %(expert)s: %(items)s.") % {
                "n": len(assigned), "expert": expert.name or expert.username, "items": "、".join(assigned)})
        if skipped:
            messages.warning(request, _("%(n)d not waiting for an expert: only those waiting can be assigned.")
                             % {"n": skipped})
        return None
