"""The reviewers' forms: an institution's verdict (approve, 退回整改 with a reason per item, reject)
and an expert's evaluation (each item conforming or not, a result, an opinion). The choices come
from the workflow's declarations (`allowed_actions`), so a form offers what the service accepts."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import PlainTextFormMixin, plain_text_field

from .models import EvaluationResult
from .services import item_title

REASON_MAX = 2000


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ReviewForm(PlainTextFormMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason (the applicant reads it)"), required=False, max_length=REASON_MAX,
                             widget=_textarea(),
                             help_text=_("Needed to return for rectification or to reject. When you return the "
                                         "application because of some items, the reasons per item are enough."))

    def __init__(self, *args, actions, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.actions = {action.name: action for action in actions}
        self.fields["decision"].choices = [(action.name, action.label) for action in actions]
        self.item_fields = []
        for item in items:
            name = f"item_{item.pk}"
            self.fields[name] = plain_text_field(forms.CharField(
                label=_("Reason for rectification: %(item)s") % {"item": item_title(item)}, required=False,
                max_length=REASON_MAX, widget=_textarea(2)))
            self.item_fields.append((item, name))

    def item_reasons(self) -> dict[int, str]:
        return {item.pk: self.cleaned_data.get(name, "") for item, name in self.item_fields
                if self.cleaned_data.get(name, "").strip()}

    def clean(self):
        data = super().clean()
        action = self.actions.get(data.get("decision"))
        if action is None:
            return data
        if action.name == "return" and self.item_reasons():
            return data  # the service writes the item reasons into the reason
        if action.reason_required and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason: the applicant needs it to know what to do."))
        return data


CONFORMING_CHOICES = [("yes", _("Conforming")), ("no", _("Not conforming"))]


class EvaluationForm(PlainTextFormMixin, forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=EvaluationResult.choices, widget=forms.RadioSelect)
    opinion = forms.CharField(label=_("Opinion"), required=False, max_length=REASON_MAX, widget=_textarea(4),
                              help_text=_("Each item you mark not conforming is added to the opinion with its "
                                          "comment."))

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_fields = []
        for item in items:
            verdict, comment = f"verdict_{item.pk}", f"comment_{item.pk}"
            self.fields[verdict] = forms.ChoiceField(
                label=_("Verdict: %(item)s") % {"item": item_title(item)}, choices=CONFORMING_CHOICES,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={"required": _("Mark this item conforming or not conforming.")})
            self.fields[comment] = plain_text_field(forms.CharField(
                label=_("Comment: %(item)s") % {"item": item_title(item)}, required=False, max_length=REASON_MAX,
                widget=_textarea(2)))
            self.item_fields.append((item, verdict, comment))

    def verdicts(self) -> dict[int, tuple[bool, str]]:
        return {item.pk: (self.cleaned_data[verdict] == "yes", self.cleaned_data.get(comment, ""))
                for item, verdict, comment in self.item_fields}
