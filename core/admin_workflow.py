"""Admin actions made from workflow declarations: approve / return / reject, with the reason asked
for when the decision needs one. The action is offered on the objects the workflow allows for this
staff member (`allowed_actions`), and each object goes through the app's service."""
from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .exceptions import DomainError
from .validators import plain_text_field
from .workflow import workflow_for


class ReasonForm(forms.Form):
    def __init__(self, *args, field="reason", label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[field] = plain_text_field(forms.CharField(
            label=label or gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})))
        self.reason_field = field

    @property
    def reason(self) -> str:
        return self.cleaned_data[self.reason_field]


def decision(name: str, description, decide: Callable, *, ask_reason: bool | None = None, reason_label=None,
             reason_field: str = "reason"):
    """An admin action `name` (the workflow action's name) that calls `decide(request, obj, reason)`
    for every selected object the workflow lets this user act on, asking for a reason first when
    the declaration requires one (or `ask_reason`)."""

    def admin_action(modeladmin, request, queryset):
        workflow = workflow_for(queryset.model)
        declared = workflow.action(name)
        needs_reason = declared.reason_required if ask_reason is None else ask_reason
        reason = ""
        if needs_reason:
            form = ReasonForm(request.POST if "apply" in request.POST else None, field=reason_field, label=reason_label)
            if not form.is_valid():
                return render(request, "admin/action_reason.html", {
                    **modeladmin.admin_site.each_context(request), "form": form, "queryset": queryset,
                    "opts": queryset.model._meta, "action": name, "title": description,
                    "button": declared.label})
            reason = form.reason
        done, skipped = 0, 0
        for obj in queryset:
            if name not in {a.name for a in workflow.allowed_actions(obj, request.user)}:
                skipped += 1
                continue
            try:
                decide(request, obj, reason)
                done += 1
            except DomainError as exc:
                messages.error(request, f"{obj}: {exc.message}")
        if done:
            messages.success(request, _("%(action)s: %(n)d done.") % {"action": declared.label, "n": done})
        if skipped:
            messages.warning(request, _("%(action)s: %(n)d not possible in their present state.")
                             % {"action": declared.label, "n": skipped})
        return None

    admin_action.__name__ = name
    admin_action.short_description = description
    admin_action.allowed_permissions = ("change",)
    return admin_action
