"""Bases for the apps' admin classes. The plain-text rule (core.validators) in Django admin too: staff type names, reasons, addresses
and notices that end up in PDFs, rosters and candidates' pages, so control, text-direction and
zero-width characters are refused next to the field there as everywhere else."""
from django.contrib import admin

from .validators import plain_text_field


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
