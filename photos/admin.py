from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_forms import PlainTextAdmin
from core.admin_history import AuditHistoryMixin
from core.admin_search import CandidateSearchMixin
from core.admin_workflow import decision

from . import reasons, selectors, services
from .models import Photo


@admin.register(Photo)
class PhotoAdmin(CandidateSearchMixin, AuditHistoryMixin, PlainTextAdmin, admin.ModelAdmin):
    """The manual-review queue: original and standard photo side by side, approve or reject."""

    list_display = ("thumbnail", "owner", "status", "profile", "created_at", "checked_at", "decided_by")
    list_filter = ("status", "profile")
    search_fields = ("owner__name", "owner__username", "owner__mobile")
    candidate_path, number_search_fields = "owner", ("owner__orders__number", "owner__enrollments__tickets__number")
    list_select_related = ("owner", "decided_by")
    readonly_fields = ("side_by_side", "owner", "profile", "status", "reason_texts", "metrics", "original_name",
                       "checked_at", "decided_by", "decided_at", "check_attempts")
    fields = readonly_fields
    actions = [
        decision("approve", _("Approve the selected photos"),
                 lambda request, photo, reason: services.photo_decide(photo=photo, actor=request.user, approve=True)),
        decision("reject", _("Reject the selected photos (asks for the reason)"),
                 lambda request, photo, reason: services.photo_decide(photo=photo, actor=request.user, approve=False,
                                                                      reason=reason),
                 ask_reason=True, reason_label=_("Reason the candidate will see")),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("photo"))
    def thumbnail(self, obj):
        kind = "standard" if obj.processed else "original"
        return format_html('<img src="{}" height="60" alt="">', reverse("photos:file", args=[obj.pk, kind]))

    @admin.display(description=_("original and standard photo"))
    def side_by_side(self, obj):
        standard = (format_html('<img class="photo-compare" src="{}" alt="">',
                                reverse("photos:file", args=[obj.pk, "standard"])) if obj.processed else "—")
        return format_html('<img class="photo-compare" src="{}" alt=""> {}',
                           reverse("photos:file", args=[obj.pk, "original"]), standard)

    @admin.display(description=_("reasons"))
    def reason_texts(self, obj):
        return "；".join(reasons.describe(obj.reasons, selectors.profile(obj.profile))) or "—"

