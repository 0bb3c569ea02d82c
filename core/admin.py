from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .admin_forms import PlainTextAdmin
from .admin_labels import localise_value
from .models import AuditEntry, Notification

# The staff site carries the product's name, never Django's (templates/admin/base_site.html falls back
# to it too, for the staff pages rendered outside admin's views).
admin.site.site_header = admin.site.site_title = settings.SITE_NAME
admin.site.index_title = _("Staff administration")


@admin.register(AuditEntry)
class AuditEntryAdmin(PlainTextAdmin, admin.ModelAdmin):
    """Read-only: the trail is written by services, never edited."""

    list_display = ("created_at", "actor_repr", "action", "content_type", "object_repr", "ip_address")
    list_filter = ("action", "content_type", ("actor", admin.RelatedOnlyFieldListFilter),
                   ("created_at", admin.DateFieldListFilter))
    search_fields = ("actor_repr", "action", "object_repr", "=object_id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields if f.name not in ("before", "after")] + [
        "before_local", "after_local"]
    exclude = ("before", "after")

    @admin.display(description=_("before"))
    def before_local(self, obj):
        return localise_value(obj.before) or "—"

    @admin.display(description=_("after"))
    def after_local(self, obj):
        return localise_value(obj.after) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False



@admin.register(Notification)
class NotificationAdmin(PlainTextAdmin, admin.ModelAdmin):
    """Read-only, superusers only: notices are personal and written by core.notifications."""

    list_display = ("created_at", "recipient", "kind", "subject_text", "read_at")
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=recipient__username", "kind")
    date_hierarchy = "created_at"
    list_select_related = ("recipient",)
    readonly_fields = [f.name for f in Notification._meta.fields]

    @admin.display(description=pgettext_lazy("message", "subject"))
    def subject_text(self, obj):
        return obj.subject

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
