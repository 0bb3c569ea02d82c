"""Staff pages outside admin: roster exports and the dashboard (exam administrators, association
staff; provincial authorities see their own province only)."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from core.scoping import province_scope
from exams.models import Area, Exam, Sitting, Subject, Venue

from .exceptions import NotAllowed
from .models import ExportFormat, RosterExport
from .rosters import RosterFilter
from .services import exports


class RosterForm(forms.Form):
    """考生名单 filters that belong together (the exam's own sittings and subjects, a venue of the chosen
    area, the provincial authority's own province); the full-numbers box only for staff allowed to see them."""

    exam = forms.ModelChoiceField(label=_("Exam"), queryset=Exam.objects.all())
    area = forms.ModelChoiceField(label=_("Exam area"), queryset=Area.objects.all(), required=False)
    venue = forms.ModelChoiceField(label=_("Venue"), queryset=Venue.objects.select_related("area"), required=False)
    sitting = forms.ModelChoiceField(label=_("Sitting"), queryset=Sitting.objects.select_related("exam"),
                                     required=False)
    subject = forms.ModelChoiceField(label=_("Subject"), queryset=Subject.objects.select_related("exam"),
                                     required=False)
    format = forms.ChoiceField(label=_("Format"), choices=ExportFormat.choices)
    full_id_numbers = forms.BooleanField(label=_("Full ID numbers and mobiles"), required=False,
                                         help_text=_("Every export with full numbers is recorded in the audit log."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.province = province_scope(user)
        self.may_see_full_numbers = user.has_perm(exports.FULL_NUMBERS_PERMISSION)
        if not self.may_see_full_numbers:
            del self.fields["full_id_numbers"]
        if self.province is not None:  # offer only what may be exported
            self.fields["area"].queryset = Area.objects.filter(province=self.province)
            self.fields["venue"].queryset = Venue.objects.filter(area__province=self.province).select_related("area")
        # "第一场" alone does not say of which exam.
        self.fields["sitting"].label_from_instance = lambda sitting: f"{sitting.exam} · {sitting}"
        self.fields["subject"].label_from_instance = lambda subject: f"{subject.exam} · {subject}"

    def clean(self):
        data = super().clean()
        if "full_id_numbers" in self.data and not self.may_see_full_numbers:
            raise forms.ValidationError(_("You may not export full ID numbers and mobiles: that needs the "
                                          "permission to view full ID numbers. Nothing was exported."),
                                        code="full_numbers_not_allowed")
        exam, area, venue = data.get("exam"), data.get("area"), data.get("venue")
        sitting, subject = data.get("sitting"), data.get("subject")
        if exam and sitting and sitting.exam_id != exam.pk:
            self.add_error("sitting", _("This sitting belongs to another exam."))
        if exam and subject and subject.exam_id != exam.pk:
            self.add_error("subject", _("This subject belongs to another exam."))
        elif sitting and subject and "sitting" not in self.errors \
                and not sitting.subjects.filter(pk=subject.pk).exists():
            self.add_error("subject", _("This subject is not offered in the chosen sitting."))
        if self.province is not None and area and area.province != self.province:
            self.add_error("area", _("You may only export your own province."))
        elif area and venue and venue.area_id != area.pk:
            self.add_error("venue", _("This venue is in %(area)s, not in the chosen area.") % {"area": venue.area})
        return data


@staff_member_required
@permission_required("registration.view_enrollment", raise_exception=True)
def roster(request):
    form = RosterForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            exports.roster_export_request(
                actor=request.user, fmt=d["format"], full_id_numbers=d.get("full_id_numbers", False),
                filters=RosterFilter(exam_id=d["exam"].pk, area_id=d["area"] and d["area"].pk,
                                     venue_id=d["venue"] and d["venue"].pk, sitting_id=d["sitting"] and d["sitting"].pk,
                                     subject_id=d["subject"] and d["subject"].pk, province=form.province))
        except NotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The export is being prepared; it appears below when ready."))
            return redirect("staff:roster")
    if form.has_error("__all__", "full_numbers_not_allowed"):
        status = 403
    return render(request, "staff/roster.html", {
        **admin.site.each_context(request), "form": form, "title": _("Export a roster"),
        "exports": RosterExport.objects.filter(requested_by=request.user).select_related("exam")[:20]},
        status=status)


@never_cache
@staff_member_required
def export_download(request, pk):
    """Only the staff member who asked for an export can download it."""
    export = get_object_or_404(RosterExport, pk=pk, requested_by=request.user)
    if not export.file:
        raise Http404
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.file.name.rsplit("/", 1)[-1])
