from django import forms
from django.contrib import admin, messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_history import AuditHistoryMixin
from core.exceptions import DomainError

from . import reasons, selectors, services
from .models import Photo, PhotoStatus


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason the candidate will see"), max_length=200)


@admin.register(Photo)
class PhotoAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """The manual-review queue: original and standard photo side by side, approve or reject."""

    list_display = ("thumbnail", "owner", "status", "profile", "created_at", "checked_at", "decided_by")
    list_filter = ("status", "profile")
    search_fields = ("owner__name", "owner__username", "owner__mobile")
    list_select_related = ("owner", "decided_by")
    readonly_fields = ("side_by_side", "owner", "profile", "status", "reason_texts", "metrics", "original_name",
                       "checked_at", "decided_by", "decided_at", "check_attempts")
    fields = readonly_fields
    actions = ["approve", "reject"]

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
        standard = (format_html('<img src="{}" style="max-height:320px;border:1px solid #ccc" alt="">',
                                reverse("photos:file", args=[obj.pk, "standard"])) if obj.processed else "—")
        return format_html('<img src="{}" style="max-height:320px;border:1px solid #ccc;margin-right:1em" alt=""> {}',
                           reverse("photos:file", args=[obj.pk, "original"]), standard)

    @admin.display(description=_("reasons"))
    def reason_texts(self, obj):
        return "；".join(reasons.describe(obj.reasons, selectors.profile(obj.profile))) or "—"

    def _decide(self, request, queryset, approve, reason=""):
        done = 0
        for photo in queryset:
            try:
                services.photo_decide(photo=photo, actor=request.user, approve=approve, reason=reason)
                done += 1
            except DomainError as exc:
                messages.error(request, f"{photo}: {exc.message}")
        if done:
            messages.success(request, _("%(n)d photos decided.") % {"n": done})

    @admin.action(description=_("Approve the selected photos"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset.exclude(status=PhotoStatus.APPROVED), True)

    @admin.action(description=_("Reject the selected photos (asks for the reason)"), permissions=["change"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._decide(request, queryset.exclude(status=PhotoStatus.REJECTED), False, form.cleaned_data["reason"])
            return None
        return render(request, "admin/action_reason.html", {
            **self.admin_site.each_context(request), "form": form, "queryset": queryset, "opts": self.model._meta,
            "action": "reject", "title": _("Reject photos")})
