from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from accounts.forms import MobileField
from accounts.models import EducationLevel
from core.regions import Province
from core.validators import PlainTextFormMixin
from core.widgets import ListSelect

from .choices import ETHNICITIES, NATIONALITIES
from .models import Enrollment, InvoiceType

YES_NO = [(True, _("Yes")), (False, _("No"))]


class NoticeForm(PlainTextFormMixin, forms.Form):
    accept = forms.BooleanField(
        label=_("I have read and understood the above and commit to it"),
        error_messages={"required": _("Tick the box to accept the notice.")},
    )


class InfoForm(PlainTextFormMixin, forms.ModelForm):
    """填写报名信息 (D3). Identity fields come from the account and are shown read-only."""

    province = forms.ChoiceField(label=_("Province of registration"), choices=[("", "---------")] + Province.choices,
                                 required=False, widget=ListSelect)
    nationality = forms.ChoiceField(label=_("Nationality"), choices=NATIONALITIES, widget=ListSelect)
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), choices=[("", _("Choose your ethnicity"))] + ETHNICITIES,
                                  widget=ListSelect)
    residence_city = forms.CharField(label=_("City of residence"), max_length=50)
    education_level = forms.ChoiceField(label=_("Education"), choices=[("", "---------")] + EducationLevel.choices)
    employer = forms.CharField(label=_("Employer"), max_length=100, required=False)
    mobile = MobileField()
    mailing_address = forms.CharField(label=_("Mailing address"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    invoice_wanted = forms.TypedChoiceField(label=_("Invoice wanted?"), choices=YES_NO, widget=forms.RadioSelect,
                                            coerce=lambda v: v in (True, "True"), initial=False)
    invoice_type = forms.ChoiceField(label=_("Invoice type"), choices=[("", "---------")] + InvoiceType.choices,
                                     required=False)
    invoice_title = forms.CharField(label=_("Invoice title"), max_length=100, required=False,
                                    help_text=_("For a personal invoice the title is your name and cannot be changed."))
    invoice_tax_number = forms.CharField(label=_("Tax number"), max_length=18, required=False,
                                         help_text=_("The enterprise's 18-character unified social credit code."))

    class Meta:
        model = Enrollment
        fields = ["province", "nationality", "ethnicity", "residence_city", "education_level", "employer", "mobile",
                  "mailing_address", "email", "invoice_wanted", "invoice_type", "invoice_title",
                  "invoice_tax_number"]

    def __init__(self, *args, candidate_name: str, requires_province: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidate_name = candidate_name
        if requires_province:
            self.fields["province"].required = True
        else:
            del self.fields["province"]

    def clean(self):
        data = super().clean()
        if not data.get("invoice_wanted"):
            return data
        kind = data.get("invoice_type")
        if not kind:
            self.add_error("invoice_type", _("Choose personal or enterprise."))
        elif kind == InvoiceType.PERSONAL:
            data["invoice_title"] = self.candidate_name
            data["invoice_tax_number"] = ""
        else:
            if not data.get("invoice_title"):
                self.add_error("invoice_title", _("Enter the enterprise's name as the invoice title."))
            number = (data.get("invoice_tax_number") or "").strip().upper()
            try:
                data["invoice_tax_number"] = uscc.validate(number)
            except StdnumError:
                self.add_error("invoice_tax_number",
                               _("This is not a valid unified social credit code (18 characters, check digit)."))
        return data


class SubjectsForm(PlainTextFormMixin, forms.Form):
    """选择科目: one radio group per sitting, with a "not this sitting" choice."""

    def __init__(self, *args, sittings, **kwargs):
        super().__init__(*args, **kwargs)
        self.sittings = sittings
        for sitting in sittings:
            choices = [("", _("Not taking this sitting"))] + [
                (str(subject.pk), f"{subject.name}（{subject.fee} 元）") for subject in sitting.subjects.all()]
            self.fields[f"sitting_{sitting.pk}"] = forms.ChoiceField(
                label=str(sitting), choices=choices, required=False, widget=forms.RadioSelect)

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(f"sitting_{s.pk}") for s in self.sittings):
            raise ValidationError(_("Choose at least one subject."))
        return data

    def groups(self):
        """For the template: each sitting's field with its radio buttons as (value, label, checked).
        Rendered by a plain loop instead of a template per button: the page is a rush hot spot."""
        for name in self.fields:
            field = self[name]
            current = "" if field.value() is None else str(field.value())
            yield field, [(value, label, value == current) for value, label in field.field.choices]

    def state_key(self) -> str:
        """What the rendered radio groups depend on besides the exam: the values and the errors."""
        return repr(([(name, self[name].value()) for name in self.fields], self.errors.as_data() if self.is_bound else ""))

    def subject_by_sitting(self) -> dict[int, int | None]:
        return {s.pk: int(v) if (v := self.cleaned_data.get(f"sitting_{s.pk}")) else None for s in self.sittings}


class AreaForm(PlainTextFormMixin, forms.Form):
    area = forms.TypedChoiceField(label=_("Exam area"), coerce=int)

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose an exam area"))]
        for option in options:
            seats = "，".join(
                f"{sitting.name} " + (str(_("%(n)d left")) % {"n": left} if left > 0 else str(_("full")))
                for sitting, left in option.seats)
            choices.append((option.area.pk, f"{option.area.name}（{seats}）"))
        self.fields["area"].choices = choices

    def area_options(self):
        """For the template: (value, label, selected), rendered by a plain loop (a rush hot spot)."""
        current = "" if self["area"].value() is None else str(self["area"].value())
        return [(value, label, str(value) == current) for value, label in self.fields["area"].choices]


class ConfirmForm(PlainTextFormMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I confirm that the registration information above is correct"),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class ScoreReviewForm(PlainTextFormMixin, forms.Form):
    exam = forms.ModelChoiceField(label=_("Exam"), queryset=None)
    ticket_number = forms.CharField(label=_("Admission ticket number"), max_length=20)
    reason = forms.CharField(label=_("Reason for the review"), widget=forms.Textarea(attrs={"rows": 4}),
                             max_length=1000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from exams.models import Exam

        self.fields["exam"].queryset = Exam.objects.filter(enrollments__candidate=user).distinct()
