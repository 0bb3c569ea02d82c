"""Every object's admin page shows its audit history (SPEC F4)."""
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .admin_labels import local_time, localise_value
from .audit import entries_for


class AuditHistoryMixin:
    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["audit_history"] if obj is not None and "audit_history" not in fields else fields

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and "audit_history" not in fields:
            fields.append("audit_history")
        return fields

    @admin.display(description=_("Audit history"))
    def audit_history(self, obj):
        rows = list(entries_for(obj)[:50])
        if not rows:
            return "—"
        return format_html_join(
            "", "<div>{} · {} · {} · {} → {}</div>",
            ((local_time(e.created_at), e.actor_repr, e.action, localise_value(e.before) or "",
              localise_value(e.after) or "") for e in rows))
