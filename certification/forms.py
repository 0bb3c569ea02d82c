"""Forms of the applicant's pages: the library entries, starting and editing an application, files."""
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import DATE_INPUT, EducationForm
from core.validators import PlainTextFormMixin, validate_past_date

from . import selectors
from .models import (
    ApplicationKind,
    ApplicationStatus,
    AuditExperience,
    ItemKind,
    TrainingRecord,
    WorkExperience,
)

UNTIL_BEFORE_FROM = _("The end date cannot be before the start date.")


class WorkExperienceForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = WorkExperience
        fields = ["employer", "position", "started_on", "ended_on", "description"]
        widgets = {"started_on": DATE_INPUT, "ended_on": DATE_INPUT, "description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"ended_on": _("Leave empty if you still work there.")}

    def clean_started_on(self):
        value = self.cleaned_data["started_on"]
        validate_past_date(value)
        return value

    def clean(self):
        data = super().clean()
        started, ended = data.get("started_on"), data.get("ended_on")
        if ended:
            try:
                validate_past_date(ended)
            except ValidationError as exc:
                self.add_error("ended_on", exc)
            else:
                if started and ended < started:
                    self.add_error("ended_on", UNTIL_BEFORE_FROM)
        return data


class AuditExperienceForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = AuditExperience
        fields = ["organisation", "field", "role", "audited_on", "days"]
        widgets = {"audited_on": DATE_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].widget.attrs.update({"min": "0.5", "step": "0.5"})

    def clean_audited_on(self):
        value = self.cleaned_data["audited_on"]
        validate_past_date(value)
        return value

    def clean_days(self):
        value = self.cleaned_data["days"]
        if value is not None and value <= 0:
            raise ValidationError(_("Enter the audit days, more than 0."), code="days_not_positive")
        return value


class TrainingRecordForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = TrainingRecord
        fields = ["course", "provider", "hours", "completed_on"]
        widgets = {"completed_on": DATE_INPUT}

    def clean_completed_on(self):
        value = self.cleaned_data["completed_on"]
        validate_past_date(value)
        return value

    def clean_hours(self):
        value = self.cleaned_data["hours"]
        if value is not None and value <= 0:
            raise ValidationError(_("Enter the hours, more than 0."), code="hours_not_positive")
        return value


class EducationItemForm(EducationForm):
    """An education record typed into an application (添加) rather than picked from the profile."""


LIBRARY_FORMS = {ItemKind.WORK: WorkExperienceForm, ItemKind.AUDIT: AuditExperienceForm,
                 ItemKind.TRAINING: TrainingRecordForm}
ITEM_FORMS = {**LIBRARY_FORMS, ItemKind.EDUCATION: EducationItemForm}


class LibraryPickForm(forms.Form):
    """从基本信息库添加: tick the entries to copy into the application."""

    entries = forms.TypedMultipleChoiceField(label=_("Entries"), coerce=int, widget=forms.CheckboxSelectMultiple,
                                             error_messages={"required": _("Tick at least one entry.")})

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entries"].choices = choices


# --------------------------------------------------------------------------- starting an application


class TrackChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, track):
        return f"{track.field.code} {track.field.name} · {track.level.name}"


class RegistrationForm(PlainTextFormMixin, forms.Form):
    """人员注册: the field and level, and the institution (fixed when the person practises somewhere)."""

    track = TrackChoiceField(label=_("Field and level"), queryset=selectors.tracks(),
                             empty_label=_("Choose a field and level"))
    institution = forms.ModelChoiceField(label=_("Practicing institution"), queryset=selectors.certification_bodies(),
                                         required=False, empty_label=_("Choose your certification body"),
                                         help_text=_("The certification body you practise for: it reviews your "
                                                     "application first."))

    def __init__(self, *args, fixed_institution=None, applicant=None, app=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_institution = fixed_institution
        self.applicant, self.app = applicant, app
        if fixed_institution is not None:
            del self.fields["institution"]

    def clean_track(self):
        track = self.cleaned_data["track"]
        existing = selectors.open_registration(self.applicant, track) if self.applicant else None
        if existing is not None and (self.app is None or existing.pk != self.app.pk):
            raise ValidationError(
                _("You already have an application for %(track)s (%(number)s, %(status)s): continue it under "
                  "My items.") % {"track": track, "number": existing.number,
                                  "status": existing.get_status_display()}, code="open_application")
        return track

    def fields_for_service(self) -> dict:
        data = {"track": self.cleaned_data["track"]}
        if "institution" in self.fields:
            data["institution"] = self.cleaned_data.get("institution")
        return data


class CertificateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, certificate):
        return f"{certificate.number} · {certificate.track.field.code} {certificate.track.level.name}"


class TransferForm(PlainTextFormMixin, forms.Form):
    """人员转换执业机构: which certificate moves, and the institution joined."""

    certificate = CertificateChoiceField(label=_("Certificate"), queryset=None, empty_label=None)
    target_institution = forms.ModelChoiceField(label=_("Institution to join"), queryset=None,
                                                empty_label=_("Choose the certification body to join"))

    def __init__(self, *args, applicant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certificate"].queryset = selectors.valid_certificates(applicant)
        bodies = selectors.certification_bodies()
        current = selectors.practicing_institution(applicant)
        if current is not None:
            bodies = bodies.exclude(pk=current.pk)
        self.fields["target_institution"].queryset = bodies

    def fields_for_service(self) -> dict:
        return {"certificate": self.cleaned_data["certificate"],
                "target_institution": self.cleaned_data["target_institution"]}


class CaseForm(PlainTextFormMixin, forms.Form):
    """申诉 / 投诉: subject, statement and (complaints) whom it is about."""

    title = forms.CharField(label=_("Subject"), max_length=200)
    respondent = forms.CharField(label=_("Complained about"), max_length=200,
                                 help_text=_("The person or institution the complaint is about."))
    content = forms.CharField(label=_("Statement"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000,
                              help_text=_("The facts, and what you ask the association to do."))

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        if kind != ApplicationKind.COMPLAINT:
            del self.fields["respondent"]

    def fields_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("title", "content", "respondent") if name in self.fields}


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Supporting file"),
                           widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf,"
                                                                            ".jpg,.jpeg,.png,.pdf"}),
                           )
    item = forms.TypedChoiceField(label=_("Supports"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", _("The whole application"))] + [(pk, label) for pk, label in items]
        self.fields["file"].help_text = _("JPEG, PNG or PDF, at most %(mb)d MB. Only you, your reviewers and the "
                                          "association can open it.") % {
            "mb": settings.CERTIFICATION_EVIDENCE_MAX_BYTES // (1024 * 1024)}


# --------------------------------------------------------------------------- 我的事项


class MyItemsFilterForm(PlainTextFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=60,
                        widget=forms.TextInput(attrs={"placeholder": _("Number, subject or field")}))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds"))] + list(ApplicationKind.choices))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses"))] + list(ApplicationStatus.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["class"] = "form-control"
        self.fields["kind"].widget.attrs["class"] = "form-select"
        self.fields["status"].widget.attrs["class"] = "form-select"
