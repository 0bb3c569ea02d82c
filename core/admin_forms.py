"""Bases for the apps' admin classes. The plain-text rule (core.validators) in Django admin too: staff type names, reasons, addresses
and notices that end up in PDFs, rosters and candidates' pages, so control, text-direction and
zero-width characters are refused next to the field there as everywhere else."""
from django.contrib import admin

from .admin_history import AuditHistoryMixin
from .audit import save_with_audit
from .validators import plain_text_field
from .workflow import allowed_actions

DECISIONS_TEMPLATE = "admin/decisions_change_form.html"


class PlainTextAdmin:
    """Put it first in a ModelAdmin's or an inline's bases: every text field of its form gets the rule."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        return plain_text_field(field) if field is not None else None


class ReadOnlyAdmin(PlainTextAdmin, admin.ModelAdmin):
    """Records that only services write (money, snapshots, evaluations): read in admin, never added,
    edited or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DecisionsOnlyAdmin(PlainTextAdmin, admin.ModelAdmin):
    """Every field read-only and no Save button: the object changes only through the actions."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        own = [f.name for f in self.model._meta.fields]
        return list(dict.fromkeys([*own, *super().get_readonly_fields(request, obj)]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False,
                         "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, extra_context)


class DecisionButtonsMixin:
    """The object's page offers, as buttons, the list's actions (named in `decision_names`) that the
    workflow allows this staff member now."""

    change_form_template = DECISIONS_TEMPLATE
    decision_names: tuple[str, ...] = ()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        buttons = []
        if obj is not None and self.has_change_permission(request, obj):
            offered = {name: label for name, (_func, _name, label) in self.get_actions(request).items()}
            allowed = {a.name for a in allowed_actions(obj, request.user)}
            buttons = [(name, offered[name]) for name in self.decision_names if name in allowed and name in offered]
        extra_context = {**(extra_context or {}), "decision_buttons": buttons}
        return super().change_view(request, object_id, form_url, extra_context)


class CatalogueAdmin(PlainTextAdmin, AuditHistoryMixin, admin.ModelAdmin):
    """Reference data staff maintain (fields, levels, course categories, criteria): each edit saved
    with one audit entry naming the changed values before and after."""

    def save_model(self, request, obj, form, change):
        save_with_audit(obj=obj, actor=request.user, changed=list(form.changed_data) or list(form.fields))
