"""Staff pages outside admin: roster exports and the dashboard (exam administrators, association
staff; provincial authorities see their own province only)."""
from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from core.scoping import province_scope
from exams.models import Area, Exam, Sitting, Subject, Venue

from .models import ExportFormat, RosterExport
from .rosters import RosterFilter
from .services import exports


class RosterForm(forms.Form):
    exam = forms.ModelChoiceField(label=_("Exam"), queryset=Exam.objects.all())
    area = forms.ModelChoiceField(label=_("Exam area"), queryset=Area.objects.all(), required=False)
    venue = forms.ModelChoiceField(label=_("Venue"), queryset=Venue.objects.all(), required=False)
    sitting = forms.ModelChoiceField(label=_("Sitting"), queryset=Sitting.objects.all(), required=False)
    subject = forms.ModelChoiceField(label=_("Subject"), queryset=Subject.objects.all(), required=False)
    format = forms.ChoiceField(label=_("Format"), choices=ExportFormat.choices)
    full_id_numbers = forms.BooleanField(label=_("Full ID numbers and mobiles (needs the permission)"),
                                         required=False)


@staff_member_required
@permission_required("registration.view_enrollment", raise_exception=True)
def roster(request):
    form = RosterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        province = province_scope(request.user)
        if province is not None and d["area"] and d["area"].province != province:
            form.add_error("area", _("You may only export your own province."))
        else:
            exports.roster_export_request(
                actor=request.user, fmt=d["format"], full_id_numbers=d["full_id_numbers"],
                filters=RosterFilter(exam_id=d["exam"].pk, area_id=d["area"] and d["area"].pk,
                                     venue_id=d["venue"] and d["venue"].pk, sitting_id=d["sitting"] and d["sitting"].pk,
                                     subject_id=d["subject"] and d["subject"].pk, province=province))
            messages.success(request, _("The export is being prepared; it appears below when ready."))
            return redirect("staff:roster")
    return render(request, "staff/roster.html", {
        "form": form, "exports": RosterExport.objects.filter(requested_by=request.user).select_related("exam")[:20]})


@never_cache
@staff_member_required
def export_download(request, pk):
    """Only the staff member who asked for an export can download it."""
    export = get_object_or_404(RosterExport, pk=pk, requested_by=request.user)
    if not export.file:
        raise Http404
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.file.name.rsplit("/", 1)[-1])
