"""Forms of the teachers' and training institutions' pages. The decisions offered come from the
workflow's declarations (`allowed_actions`), so a form offers what the service accepts; the rules
themselves (bound teachers, overlapping dates, file content) are the services' and come back as
errors next to their field."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import DATE_INPUT
from core.validators import PlainTextFormMixin

from .models import CourseCategory, MaterialKind

TEXT_MAX = 2000


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return user.name or user.username


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, category):
        return str(category)


class FiledCourseChoiceField(forms.ModelChoiceField):
    """A filed course by its title and filing number (its str() is the number alone)."""

    def label_from_instance(self, course):
        return f"{course.title}（{course.filing_number}）" if course.filing_number else course.title


# --------------------------------------------------------------------------- teachers

EXPERIENCE_KINDS = [("work", _("Work experience")), ("teaching", _("Teaching experience"))]


class LibraryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, entry):
        until = entry.ended_on.isoformat() if entry.ended_on else _("now")
        return f"{entry.employer} · {entry.position} ({entry.started_on:%Y-%m} – {until})"


class BindingForm(PlainTextFormMixin, forms.Form):
    """绑定课程类别: a category and the experience that qualifies the teacher, picked from the
    basic-information library or typed in (either or both)."""

    category = CategoryChoiceField(label=_("Course category"), queryset=CourseCategory.objects.none())
    experiences = LibraryChoiceField(
        label=_("From my basic-information library"), required=False, queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick the work experience that qualifies you, or add an experience below."))
    new_kind = forms.ChoiceField(label=_("Kind of experience"), choices=EXPERIENCE_KINDS, required=False)
    new_employer = forms.CharField(label=_("Employer or institution"), max_length=200, required=False)
    new_position = forms.CharField(label=_("Position or course taught"), max_length=100, required=False)
    new_started_on = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    new_ended_on = forms.DateField(label=_("Until"), required=False, widget=DATE_INPUT,
                                   help_text=_("Leave empty if it continues."))
    new_description = forms.CharField(label=_("Description"), max_length=TEXT_MAX, required=False,
                                      widget=_textarea(2))

    def __init__(self, *args, library, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["experiences"].queryset = library
        self.fields["category"].queryset = categories
        if not library.exists():
            self.fields["experiences"].help_text = _("Your basic-information library has no work experience: add "
                                                     "the experience below.")

    def clean(self):
        data = super().clean()
        typed = [data.get(name) for name in ("new_employer", "new_position", "new_started_on")]
        if any(typed) and not all(typed):
            for name in ("new_employer", "new_position", "new_started_on"):
                if not data.get(name):
                    self.add_error(name, _("Fill this in to add the experience, or leave the whole experience "
                                           "empty."))
        started, ended = data.get("new_started_on"), data.get("new_ended_on")
        if started and ended and ended < started:
            self.add_error("new_ended_on", _("The end date cannot be before the start date."))
        return data

    def experience_snapshots(self) -> list[dict]:
        """The experiences as they are now (a snapshot: later changes to the library do not touch it)."""
        rows = [{"kind": "work", "source": "library", "source_id": entry.pk, "employer": entry.employer,
                 "position": entry.position, "from": entry.started_on.isoformat(),
                 "until": entry.ended_on.isoformat() if entry.ended_on else "", "description": entry.description}
                for entry in self.cleaned_data.get("experiences") or []]
        data = self.cleaned_data
        if data.get("new_employer") and data.get("new_position") and data.get("new_started_on"):
            rows.append({"kind": data.get("new_kind") or "work", "source": "typed", "employer": data["new_employer"],
                         "position": data["new_position"], "from": data["new_started_on"].isoformat(),
                         "until": data["new_ended_on"].isoformat() if data.get("new_ended_on") else "",
                         "description": data.get("new_description", "")})
        return rows


class AnswerForm(PlainTextFormMixin, forms.Form):
    """备案课程教师确认 / 培训计划教师确认: the result (the actions the teacher may take now) and an
    opinion, needed to decline."""

    decision = forms.ChoiceField(label=_("Confirmation result"), widget=forms.RadioSelect)
    opinion = forms.CharField(label=_("Confirmation opinion"), required=False, max_length=TEXT_MAX, widget=_textarea(),
                              help_text=_("Needed to decline: the institution reads it."))

    def __init__(self, *args, actions, opinion_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actions = {action.name: action for action in actions}
        self.fields["decision"].choices = [(action.name, action.label) for action in actions]
        if opinion_label:
            self.fields["opinion"].label = opinion_label

    def clean(self):
        data = super().clean()
        action = self.actions.get(data.get("decision"))
        if action is not None and action.reason_required and not (data.get("opinion") or "").strip():
            self.add_error("opinion", _("Give the reason: the institution needs it."))
        return data


class UnbindingRequestForm(PlainTextFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for leaving the course"), max_length=TEXT_MAX, widget=_textarea())


# --------------------------------------------------------------------------- institutions


class CourseForm(PlainTextFormMixin, forms.Form):
    """课程备案: a draft filing. Only teachers bound to the category may be named (the service says
    which are not)."""

    category = CategoryChoiceField(label=_("Course category"), queryset=CourseCategory.objects.none())
    title = forms.CharField(label=_("Course title"), max_length=200)
    hours = forms.IntegerField(label=_("Hours"), min_value=1, max_value=32767)
    syllabus = forms.CharField(label=_("Syllabus"), max_length=20000, widget=_textarea(6))
    online = forms.BooleanField(label=_("Online course"), required=False)
    teachers = PersonChoiceField(label=_("Teachers"), queryset=None, widget=forms.CheckboxSelectMultiple,
                                 help_text=_("Only teachers bound to the course's category (or a category above "
                                             "it) can be named; each of them confirms before the filing goes to "
                                             "the association."),
                                 error_messages={"required": _("Name at least one teacher.")})

    def __init__(self, *args, categories, teachers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["teachers"].queryset = teachers


class MaterialForm(forms.Form):
    file = forms.FileField(label=_("Course material"),
                           help_text=_("A PDF document or an MP4 or WebM video; the file's content is checked."))


class EvaluationRequestForm(forms.Form):
    """网络课程评价: ask the association to have the uploaded material evaluated."""

    kind = forms.ChoiceField(label=_("Evaluation of"), choices=MaterialKind.choices)


class PlanForm(PlainTextFormMixin, forms.Form):
    """培训计划: a filed course, its dates, a place or online, the capacity and its teachers."""

    course = FiledCourseChoiceField(label=_("Filed course"), queryset=None)
    starts_on = forms.DateField(label=_("First day"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE_INPUT)
    online = forms.BooleanField(label=_("Online"), required=False)
    place = forms.CharField(label=_("Place"), max_length=200, required=False,
                            help_text=_("Where the training is held; leave empty for an online training."))
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=100000)
    teachers = PersonChoiceField(label=_("Teachers"), queryset=None, widget=forms.CheckboxSelectMultiple,
                                 help_text=_("Teachers of the chosen course; no teacher can teach two plans on "
                                             "overlapping dates."),
                                 error_messages={"required": _("Name at least one teacher.")})

    def __init__(self, *args, courses, teachers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["teachers"].queryset = teachers

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", ValidationError(_("The last day cannot be before the first day."),
                                                      code="plan_ends_before_start"))
        if not data.get("online") and not (data.get("place") or "").strip():
            self.add_error("place", _("Give the place, or tick Online."))
        return data

    def fields_for_service(self) -> dict:
        data = self.cleaned_data
        return {"starts_on": data["starts_on"], "ends_on": data["ends_on"], "online": data["online"],
                "place": data["place"].strip(), "capacity": data["capacity"]}


class DecisionForm(PlainTextFormMixin, forms.Form):
    """An institution's decision on an unbinding request (the actions it may take now)."""

    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=TEXT_MAX, widget=_textarea(),
                             help_text=_("Needed to reject: the teacher reads it."))

    def __init__(self, *args, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.actions = {action.name: action for action in actions}
        self.fields["decision"].choices = [(action.name, action.label) for action in actions]

    def clean(self):
        data = super().clean()
        action = self.actions.get(data.get("decision"))
        if action is not None and action.reason_required and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason: the teacher needs it."))
        return data
