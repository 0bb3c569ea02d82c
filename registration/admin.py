import csv
import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_forms import PlainTextAdmin
from core.admin_history import AuditHistoryMixin
from core.admin_search import CandidateSearchMixin
from core.admin_workflow import decision
from core.exceptions import DomainError
from core.scoping import province_scope
from core.validators import PlainTextFormMixin
from core.workflow import allowed_actions
from exams.models import Exam

from . import services
from .choices import ETHNICITIES, NATIONALITIES
from .models import (
    AdmissionTicket,
    Enrollment,
    EnrollmentSeat,
    EnrollmentSubject,
    RosterExport,
    Score,
    ScoreReview,
)


def choice_label(choices, code: str) -> str:
    """The label of a stored code in the interface language ("CN" → 中国), the code itself when unknown."""
    return str(dict(choices).get(code, code)) if code else "—"


class EnrollmentSubjectInline(PlainTextAdmin, admin.TabularInline):
    model = EnrollmentSubject
    extra = 0
    readonly_fields = ("sitting", "subject")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EnrollmentSeatInline(PlainTextAdmin, admin.TabularInline):
    model = EnrollmentSeat
    extra = 0
    readonly_fields = ("quota", "state", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ProvinceScopedAdmin(PlainTextAdmin, admin.ModelAdmin):
    """A provincial authority sees only rows of its own province (SPEC F5)."""

    province_field = "area__province"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        province = province_scope(request.user)
        return queryset if province is None else queryset.filter(**{self.province_field: province})


@admin.register(Enrollment)
class EnrollmentAdmin(CandidateSearchMixin, AuditHistoryMixin, ProvinceScopedAdmin):
    """Enrollments change only through services: the status is read-only here."""

    list_display = ("candidate", "exam", "status", "area", "dishonest_flag", "confirmed_at", "created_at")
    list_filter = ("exam", "status", "area", "dishonest_flag")
    search_fields = ("mobile",)
    number_search_fields = ("orders__number", "tickets__number")
    list_select_related = ("candidate", "exam", "area")
    # Every field read-only; nationality and ethnicity hold codes (CN, 01): shown by their labels.
    readonly_fields = [{"nationality": "nationality_label", "ethnicity": "ethnicity_label"}.get(f.name, f.name)
                       for f in Enrollment._meta.fields]
    inlines = [EnrollmentSubjectInline, EnrollmentSeatInline]
    actions = [
        decision("approve_review", _("Approve qualification review"),
                 lambda request, enrollment, note: services.enrollment_review_decide(
                     enrollment=enrollment, actor=request.user, approve=True, note=note)),
        decision("reject_review", _("Reject qualification review (asks for the reason)"),
                 lambda request, enrollment, note: services.enrollment_review_decide(
                     enrollment=enrollment, actor=request.user, approve=False, note=note),
                 reason_label=_("Reason the candidate will see"), reason_field="note"),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("nationality"))
    def nationality_label(self, obj):
        return choice_label(NATIONALITIES, obj.nationality)

    @admin.display(description=_("ethnicity"))
    def ethnicity_label(self, obj):
        return choice_label(ETHNICITIES, obj.ethnicity)


class AllocateForm(PlainTextFormMixin, forms.Form):
    exam = forms.ModelChoiceField(label=_("Exam"), queryset=Exam.objects.all())


class ScoreImportForm(PlainTextFormMixin, forms.Form):
    exam = forms.ModelChoiceField(label=_("Exam"), queryset=Exam.objects.all())
    file = forms.FileField(label=_("CSV file (准考证号, 科目, 成绩)"))


@admin.register(AdmissionTicket)
class AdmissionTicketAdmin(CandidateSearchMixin, ProvinceScopedAdmin):
    list_display = ("number", "candidate", "subject", "sitting", "venue", "room", "seat", "void")
    list_filter = ("enrollment__exam", "venue__area", "sitting", "subject", "void")
    search_fields = ("number",)
    candidate_path = "enrollment__candidate"
    number_search_fields = ("enrollment__orders__number",)
    list_select_related = ("enrollment__candidate", "subject", "sitting", "venue")
    province_field = "venue__area__province"
    change_list_template = "admin/registration/admissionticket/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("candidate"))
    def candidate(self, obj):
        return obj.enrollment.candidate

    def changelist_view(self, request, extra_context=None):
        """The allocation and import buttons only for those the services let do it."""
        extra_context = {**(extra_context or {}),
                         "may_allocate": request.user.has_perm(services.tickets.ALLOCATE_PERMISSION),
                         "may_import_scores": request.user.has_perm(services.scores.IMPORT_PERMISSION),
                         "may_export": request.user.has_perm("registration.view_enrollment")}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path("allocate/", self.admin_site.admin_view(self.allocate_view), name="registration_tickets_allocate"),
            path("import-scores/", self.admin_site.admin_view(self.import_scores_view),
                 name="registration_scores_import"),
        ] + super().get_urls()

    def allocate_view(self, request):
        if not request.user.has_perm(services.tickets.ALLOCATE_PERMISSION):
            raise PermissionDenied
        form = AllocateForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                result = services.tickets_allocate(exam=form.cleaned_data["exam"], actor=request.user)
            except DomainError as exc:
                form.add_error("exam", exc.message)
            else:
                messages.success(request, _("%(created)d tickets allocated, %(voided)d voided, %(unplaced)d "
                                            "candidates without a seat (add rooms or venues).") % result)
                return redirect("admin:registration_admissionticket_changelist")
        return render(request, "admin/action_form.html", {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": _("Allocate admission tickets"), "multipart": False})

    def import_scores_view(self, request):
        if not request.user.has_perm(services.scores.IMPORT_PERMISSION):
            raise PermissionDenied
        form = ScoreImportForm(request.POST if request.method == "POST" else None,
                               request.FILES if request.method == "POST" else None)
        report = None
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["file"].read().decode("utf-8-sig", errors="replace")
            report = services.scores_import(exam=form.cleaned_data["exam"], actor=request.user,
                                            rows=csv.DictReader(io.StringIO(text)))
            if report.ok:
                messages.success(request, _("%(n)d scores imported.") % {"n": report.imported})
                return redirect("admin:registration_admissionticket_changelist")
        return render(request, "admin/action_form.html", {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta, "report": report,
            "title": _("Import scores"), "multipart": True})


@admin.register(Score)
class ScoreAdmin(CandidateSearchMixin, PlainTextAdmin, admin.ModelAdmin):
    list_display = ("ticket", "candidate", "value", "imported_at")
    search_fields = ("ticket__number",)
    candidate_path = "ticket__enrollment__candidate"
    number_search_fields = ("ticket__enrollment__orders__number",)
    list_select_related = ("ticket__enrollment__candidate",)
    list_filter = ("ticket__enrollment__exam",)
    readonly_fields = ("ticket", "value", "imported_at")

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("candidate"))
    def candidate(self, obj):
        return obj.ticket.enrollment.candidate


class DecideForm(PlainTextFormMixin, forms.Form):
    outcome = forms.CharField(label=_("Outcome the candidate will see"), max_length=500)
    corrected = forms.DecimalField(label=_("Corrected score (leave empty to confirm the score)"), required=False,
                                   max_digits=5, decimal_places=1)


@admin.register(ScoreReview)
class ScoreReviewAdmin(CandidateSearchMixin, PlainTextAdmin, admin.ModelAdmin):
    list_display = ("ticket", "candidate", "status", "created_at", "decided_by")
    list_filter = ("status", "ticket__enrollment__exam")
    search_fields = ("ticket__number",)
    number_search_fields = ("ticket__enrollment__orders__number",)
    list_select_related = ("ticket", "candidate", "decided_by")
    readonly_fields = ("ticket", "candidate", "reason", "status", "outcome", "new_value", "decided_by")
    actions = ["decide"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Decide the selected reviews"), permissions=["change"])
    def decide(self, request, queryset):
        form = DecideForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            decided = 0
            for review in queryset.select_related("ticket"):
                if not allowed_actions(review, request.user):  # already decided
                    messages.warning(request, _("%(ticket)s: this review was already decided.")
                                     % {"ticket": review.ticket})
                    continue
                try:
                    services.score_review_decide(review=review, actor=request.user, outcome=form.cleaned_data["outcome"],
                                                 corrected=form.cleaned_data["corrected"])
                except DomainError as exc:
                    messages.error(request, f"{review.ticket}: {exc.message}")
                else:
                    decided += 1
            messages.success(request, _("%(n)d score reviews decided.") % {"n": decided})
            return None
        return render(request, "admin/action_reason.html", {
            **self.admin_site.each_context(request), "form": form, "queryset": queryset, "opts": self.model._meta,
            "action": "decide", "title": _("Decide score reviews")})


@admin.register(RosterExport)
class RosterExportAdmin(PlainTextAdmin, admin.ModelAdmin):
    list_display = ("created_at", "exam", "format", "rows", "status", "download")
    readonly_fields = ("requested_by", "exam", "filters", "format", "full_id_numbers", "status", "rows", "error")
    exclude = ("file",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(requested_by=request.user)

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("file"))
    def download(self, obj):
        if not obj.file:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("staff:export-download", args=[obj.pk]), _("Download"))
