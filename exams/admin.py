from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.admin_forms import PlainTextAdmin
from core.admin_history import AuditHistoryMixin
from core.admin_workflow import decision
from core.exceptions import DomainError

from . import services
from .models import Area, Exam, SeatQuota, SeatRelease, Sitting, Subject, Venue
from .states import EXAM


class SubjectInline(PlainTextAdmin, admin.TabularInline):
    model = Subject
    extra = 0


class SittingInline(PlainTextAdmin, admin.TabularInline):
    model = Sitting
    extra = 0
    fields = ("name", "starts_at", "ends_at", "subjects")

    def get_formset(self, request, obj=None, **kwargs):
        """A sitting offers subjects of its own exam only (a new exam's subjects: after its first save)."""
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["subjects"].queryset = (Subject.objects.filter(exam=obj) if obj is not None
                                                         else Subject.objects.none())
        return formset


@admin.register(Exam)
class ExamAdmin(PlainTextAdmin, admin.ModelAdmin):
    list_display = ("name", "body", "status", "registration_opens_at", "registration_closes_at", "exam_starts_on")
    list_filter = ("status", "body", "review_mode")
    search_fields = ("name",)
    date_hierarchy = "registration_opens_at"
    inlines = [SubjectInline, SittingInline]
    fieldsets = (
        (None, {"fields": ("name", "body", "status", "review_mode", "requires_province")}),
        (_("Windows"), {"fields": ("registration_opens_at", "registration_closes_at", "refund_opens_at",
                                   "refund_closes_at", "ticket_print_opens_at", "ticket_print_closes_at",
                                   "exam_starts_on", "exam_ends_on", "score_review_opens_at",
                                   "score_review_closes_at"),
                        "description": _("Times are Beijing time. Candidates may ask for a score review "
                                         "(成绩复核) only between the two score review times, after the last "
                                         "exam day; leave both empty while there is none.")}),
        (_("Texts"), {"fields": ("notice", "commitment")}),
    )
    actions = [
        decision("publish", _("Publish the selected exams"),
                 lambda request, exam, reason: EXAM.perform(exam, "publish", actor=request.user)),
        decision("unpublish", _("Take the publication back"),
                 lambda request, exam, reason: EXAM.perform(exam, "unpublish", actor=request.user)),
        decision("cancel", _("Cancel the selected exams (asks for the reason)"),
                 lambda request, exam, reason: EXAM.perform(exam, "cancel", actor=request.user, reason=reason)),
    ]

    def get_readonly_fields(self, request, obj=None):
        # An existing exam's status moves through the actions above (audited, with their rules).
        return ("status",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        services.exam_save(exam=obj, actor=request.user, fields=list(form.changed_data), created=not change)

    def save_formset(self, request, form, formset, change):
        """Subjects (fees) and sittings, each saved through its audited service."""
        save = {Subject: services.subject_save, Sitting: services.sitting_save}[formset.model]
        argument = "subject" if formset.model is Subject else "sitting"
        instances = formset.save(commit=False)
        for instance in instances:
            subform = next(f for f in formset.forms if f.instance is instance)
            extra = {"subjects": subform.cleaned_data["subjects"]} if formset.model is Sitting else {}
            save(**{argument: instance}, actor=request.user, fields=list(subform.changed_data),
                 created=instance.pk is None, **extra)
        for removed in formset.deleted_objects:
            services.exam_part_delete(obj=removed, actor=request.user)


@admin.register(Area)
class AreaAdmin(PlainTextAdmin, admin.ModelAdmin):
    list_display = ("name", "province", "order")
    list_filter = ("province",)
    search_fields = ("name",)
    list_editable = ("order",)


@admin.register(Venue)
class VenueAdmin(PlainTextAdmin, admin.ModelAdmin):
    list_display = ("name", "area", "address")
    list_filter = ("area",)
    search_fields = ("name", "address")


@admin.register(SeatQuota)
class SeatQuotaAdmin(AuditHistoryMixin, PlainTextAdmin, admin.ModelAdmin):
    """Capacities are editable in bulk; every change goes through the audited service."""

    list_display = ("exam", "area", "sitting", "capacity", "held", "sold", "seats_left")
    list_editable = ("capacity",)
    list_filter = ("exam", "area", "sitting__name")
    search_fields = ("exam__name", "area__name")
    list_select_related = ("exam", "area", "sitting")

    def get_queryset(self, request):
        return super().get_queryset(request).with_seats_left()

    def get_readonly_fields(self, request, obj=None):
        # An existing quota stays where it is (its seats may be taken): only its capacity changes.
        fixed = ("held", "sold") if obj is None else ("exam", "area", "sitting", "held", "sold")
        return (*fixed, *super().get_readonly_fields(request, obj))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "sitting":  # "第一场" alone does not say of which exam
            field.queryset = field.queryset.select_related("exam")
            field.label_from_instance = lambda sitting: f"{sitting.exam} · {sitting}"
        return field

    @admin.display(description=_("seats left"), ordering="seats_left")
    def seats_left(self, obj):
        return obj.seats_left

    def save_model(self, request, obj, form, change):
        if not change:
            services.quota_create(quota=obj, actor=request.user)
        elif "capacity" in form.changed_data:
            try:
                services.quota_set_capacity(quota=obj, capacity=obj.capacity, actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{obj}: {exc.message}")


@admin.register(SeatRelease)
class SeatReleaseAdmin(PlainTextAdmin, admin.ModelAdmin):
    """放出名额: a batch now or at a time; the beat job applies scheduled ones exactly once."""

    list_display = ("quota", "seats", "release_at", "status", "applied_at", "created_by")
    list_filter = ("status", "quota__exam", "quota__area")
    search_fields = ("quota__area__name", "quota__exam__name")
    actions = ["cancel_releases"]

    def get_readonly_fields(self, request, obj=None):
        return ("status", "applied_at", "created_by") if obj is None else (
            "quota", "seats", "release_at", "status", "applied_at", "created_by")

    def save_model(self, request, obj, form, change):
        if change:
            return
        release = services.quota_release_seats(quota=obj.quota, seats=obj.seats, actor=request.user,
                                               release_at=obj.release_at)
        obj.pk = release.pk

    @admin.action(description=_("Cancel the selected scheduled releases"), permissions=["change"])
    def cancel_releases(self, request, queryset):
        count = sum(services.release_cancel(release=release, actor=request.user) for release in queryset)
        messages.success(request, _("%(n)d releases cancelled.") % {"n": count})
