from django import forms
from django.contrib import admin, messages
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError

from . import services
from .models import Enrollment, EnrollmentSeat, EnrollmentStatus, EnrollmentSubject


class EnrollmentSubjectInline(admin.TabularInline):
    model = EnrollmentSubject
    extra = 0
    readonly_fields = ("sitting", "subject")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EnrollmentSeatInline(admin.TabularInline):
    model = EnrollmentSeat
    extra = 0
    readonly_fields = ("quota", "state", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RejectForm(forms.Form):
    note = forms.CharField(label=_("Reason the candidate will see"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Enrollments change only through services: the status is read-only here."""

    list_display = ("candidate", "exam", "status", "area", "dishonest_flag", "confirmed_at", "created_at")
    list_filter = ("exam", "status", "area", "dishonest_flag")
    search_fields = ("candidate__name", "candidate__username", "candidate__mobile", "mobile")
    list_select_related = ("candidate", "exam", "area")
    readonly_fields = [f.name for f in Enrollment._meta.fields]
    inlines = [EnrollmentSubjectInline, EnrollmentSeatInline]
    actions = ["approve_review", "reject_review"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, *, approve: bool, note: str = ""):
        done = 0
        for enrollment in queryset.filter(status=EnrollmentStatus.IN_REVIEW):
            try:
                services.enrollment_review_decide(enrollment=enrollment, actor=request.user, approve=approve,
                                                  note=note)
                done += 1
            except DomainError as exc:
                messages.error(request, f"{enrollment}: {exc.message}")
        messages.success(request, _("%(n)d registrations decided.") % {"n": done})

    @admin.action(description=_("Approve qualification review"))
    def approve_review(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject qualification review (asks for the reason)"))
    def reject_review(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._decide(request, queryset, approve=False, note=form.cleaned_data["note"])
            return None
        return render(request, "admin/action_reason.html", {
            **self.admin_site.each_context(request), "form": form, "queryset": queryset,
            "opts": self.model._meta, "action": "reject_review", "title": _("Reject qualification review")})
