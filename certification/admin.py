"""认证人员 in Django admin (association staff, SPEC G): queues per stage, the application as submitted
with its items, evidence and history, and the decisions of the chain as admin actions — each offered
where `allowed_actions` lets this staff member act and carried out by the service (audited). Fields,
levels and tracks (requirements, fees) are configured here, each edit audited."""
from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from core.admin_forms import (
    DECISIONS_TEMPLATE,
    CatalogueAdmin,
    DecisionsOnlyAdmin,
    PlainTextAdmin,
    ReadOnlyAdmin,
)
from core.admin_history import AuditHistoryMixin
from core.admin_labels import local_time
from core.admin_search import CandidateSearchMixin
from core.admin_workflow import decision
from core.exceptions import DomainError
from core.models import Assignment
from core.workflow import allowed_actions, can

from . import queues, review_services, services
from .models import (
    Application,
    ApplicationItem,
    ApplicationStatus,
    AuditExperience,
    Certificate,
    CertificateStatus,
    Evaluation,
    Evidence,
    Field,
    ItemVerdict,
    Level,
    PaymentVoucher,
    PracticingRelation,
    Track,
    TrainingRecord,
    VoucherStatus,
    WorkExperience,
)
from .review_forms import ReviewForm
from .states import APPLICATION, EVALUATION_STAGE

try:  # the voucher services (SPEC E6) live with the fees
    from . import fees
except ImportError:  # pragma: no cover - until the fees module exists the voucher page is read-only
    fees = None

S = ApplicationStatus


# --------------------------------------------------------------------------- configuration


@admin.register(Field)
class FieldAdmin(CatalogueAdmin):
    list_display = ("code", "name", "order")
    search_fields = ("code", "name")


@admin.register(Level)
class LevelAdmin(CatalogueAdmin):
    list_display = ("code", "name", "rank")
    search_fields = ("code", "name")


@admin.register(Track)
class TrackAdmin(CatalogueAdmin):
    """A field at a level: what an applicant must have, the fees and the certificate's validity."""

    list_display = ("__str__", "exam_subject_codes", "pass_mark", "min_audit_days", "min_training_hours", "fee",
                    "annual_fee", "validity_years")
    list_filter = ("field", "level")
    list_select_related = ("field", "level")
    search_fields = ("field__code", "field__name", "level__name")


@admin.register(PracticingRelation)
class PracticingRelationAdmin(CandidateSearchMixin, CatalogueAdmin):
    list_display = ("person", "institution", "started_on", "ended_on")
    list_filter = ("institution", ("ended_on", admin.EmptyFieldListFilter))
    list_select_related = ("person", "institution")
    candidate_path = "person"
    search_help_text = _("Search by name, username, mobile or full ID number.")
    raw_id_fields = ("person",)


# --------------------------------------------------------------------------- the personal library


class LibraryAdmin(CandidateSearchMixin, ReadOnlyAdmin):
    """基本信息库: the person's own entries; applications keep their own copies."""

    candidate_path = "person"
    list_select_related = ("person",)
    search_help_text = _("Search by name, username, mobile or full ID number.")


@admin.register(WorkExperience)
class WorkExperienceAdmin(LibraryAdmin):
    list_display = ("person", "employer", "position", "started_on", "ended_on")


@admin.register(AuditExperience)
class AuditExperienceAdmin(LibraryAdmin):
    list_display = ("person", "organisation", "field", "role", "audited_on", "days")
    list_filter = ("field", "role")


@admin.register(TrainingRecord)
class TrainingRecordAdmin(LibraryAdmin):
    list_display = ("person", "course", "provider", "hours", "completed_on")


# --------------------------------------------------------------------------- applications


class QueueFilter(admin.SimpleListFilter):
    """What waits for whom (待办): the association's queues first."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("association", _("Waiting for the association (review or decision)")),
                ("voucher", _("A payment voucher to confirm")),
                ("overdue", _("Expert evaluation overdue")),
                ("expert", _("With an expert")),
                ("institution", _("With an institution")),
                ("applicant", _("Returned to the applicant"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "association":
            return queryset.filter(status__in=(S.ASSOCIATION_REVIEW, S.ASSOCIATION_DECISION))
        if value == "voucher":
            return queryset.filter(status=S.PAYMENT, vouchers__status=VoucherStatus.SUBMITTED).distinct()
        if value == "overdue":
            late = Assignment.objects.filter(content_type__app_label="certification",
                                             content_type__model="application", stage=EVALUATION_STAGE,
                                             done_at__isnull=True, due_at__lt=timezone.now())
            return queryset.filter(status=S.EXPERT_EVALUATION,
                                   pk__in=[int(pk) for pk in late.values_list("object_id", flat=True)])
        if value == "expert":
            return queryset.filter(status=S.EXPERT_EVALUATION)
        if value == "institution":
            return queryset.filter(status__in=queues.INSTITUTION_STAGES)
        if value == "applicant":
            return queryset.filter(status=S.RETURNED)
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    """Age: how long an application has waited in its present stage."""

    title = _("waiting in this stage")
    parameter_name = "waiting"
    DAYS = (3, 7, 14, 30)

    def lookups(self, request, model_admin):
        return [(str(days), _("more than %(days)d days") % {"days": days}) for days in self.DAYS]

    def queryset(self, request, queryset):
        if self.value() not in {str(days) for days in self.DAYS}:
            return queryset
        since = timezone.now() - datetime.timedelta(days=int(self.value()))
        return queryset.filter(status__in=queues.WAITING_STAGES, updated_at__lt=since)


class ApplicationItemInline(PlainTextAdmin, admin.TabularInline):
    model = ApplicationItem
    extra = 0
    can_delete = False
    fields = ("kind", "details", "files", "return_reason", "verdicts")
    readonly_fields = fields
    verbose_name_plural = _("experiences and education (as submitted)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("details"))
    def details(self, item):
        return format_html_join("", "<div>{}: {}</div>", queues.data_lines(item.data))

    @admin.display(description=_("files"))
    def files(self, item):
        return _evidence_links(item.evidence.all()) or "—"

    @admin.display(description=_("expert's verdicts"))
    def verdicts(self, item):
        rows = [(verdict.evaluation.expert, _gettext("Conforming") if verdict.conforming
                 else _gettext("Not conforming"), verdict.comment)
                for verdict in item.verdicts.select_related("evaluation__expert")]
        return format_html_join("", "<div>{}: {} {}</div>", rows) or "—"


def _evidence_links(evidence) -> str:
    return format_html_join(
        "", '<div><a href="{}">{}</a></div>',
        ((reverse("certification:evidence", args=[file.pk]), file.name) for file in evidence))


class EvidenceInline(PlainTextAdmin, admin.TabularInline):
    model = Evidence
    extra = 0
    can_delete = False
    fields = ("download", "item", "content_type", "uploaded_by", "created_at")
    readonly_fields = fields
    verbose_name_plural = _("supporting files")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def download(self, evidence):
        return _evidence_links([evidence])


class EvaluationInline(PlainTextAdmin, admin.TabularInline):
    model = Evaluation
    extra = 0
    can_delete = False
    fields = ("expert", "result", "opinion", "submitted_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ExpertChoiceForm(forms.Form):
    """分配专家: the expert and the due date (end of that day, Beijing time)."""

    expert = forms.ModelChoiceField(label=_("Expert"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                             help_text=_("The expert is asked to finish by the end of this day."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = (User.objects.filter(groups__name=Role.EXPERT, is_active=True)
                                          .select_related("institution").order_by("name", "username"))
        self.fields["expert"].label_from_instance = lambda user: " · ".join(
            str(part) for part in (user.name or user.username, user.username, user.institution) if part)

    def clean_due_on(self):
        due_on = self.cleaned_data.get("due_on")
        if due_on and due_on < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due_on

    @property
    def due_at(self):
        due_on = self.cleaned_data.get("due_on")
        if not due_on:
            return None
        return timezone.make_aware(datetime.datetime.combine(due_on, datetime.time(23, 59, 59)))


def _approve(request, app, reason):
    services.application_approve(app=app, actor=request.user, reason=reason)


def _decide(request, app, opinion):
    services.case_decide(app=app, actor=request.user, opinion=opinion)


def _return(request, app, reason):
    services.review(app=app, actor=request.user, action="return", reason=reason)


def _reject(request, app, reason):
    services.review(app=app, actor=request.user, action="reject", reason=reason)


def _confirm_payment(request, app, reason):
    services.payment_confirm(app=app, actor=request.user)


# The chain's decisions staff take here, by workflow action name (the change page offers the same).
APPLICATION_DECISIONS = ("approve", "decide", "return", "reject", "confirm_payment")


@admin.register(Application)
class ApplicationAdmin(CandidateSearchMixin, AuditHistoryMixin, DecisionsOnlyAdmin):
    change_form_template = DECISIONS_TEMPLATE  # the Decide block (its buttons and links: change_view below)
    list_display = ("number", "kind", "applicant_name", "track", "institution", "status", "submitted_at",
                    "waiting_days")
    list_filter = (QueueFilter, "kind", "status", "track__field", "track__level",
                   ("institution", admin.RelatedOnlyFieldListFilter), WaitingFilter)
    search_fields = ("number",)
    candidate_path = "applicant"
    search_help_text = _("Search by application number, or the applicant's name, username, mobile or full ID "
                         "number.")
    list_select_related = ("applicant", "track__field", "track__level", "institution")
    date_hierarchy = "submitted_at"
    inlines = (ApplicationItemInline, EvidenceInline, EvaluationInline)
    fieldsets = (
        (None, {"fields": ("number", "kind", "status", "applicant_display", "institution", "target_institution",
                           "track", "certificate", "round", "submitted_at", "decided_at", "fee", "opinion",
                           "assignments")}),
        (_("As submitted"), {"fields": ("submitted_display",)}),
        (_("History"), {"fields": ("history_display", "audit_history")}),
    )
    actions = (
        decision("approve", _("Approve (issue, renew or move the certificate)"), _approve),
        decision("decide", _("Decide an appeal or complaint (asks for the opinion)"), _decide,
                 reason_label=_("The association's opinion (the applicant reads it)")),
        decision("return", _("Return for rectification (asks for the reason)"), _return,
                 reason_label=_("What to rectify (the applicant reads it)")),
        decision("reject", _("Reject (asks for the reason)"), _reject,
                 reason_label=_("Reason (the applicant reads it)")),
        decision("confirm_payment", _("Payment received"), _confirm_payment),
        "assign_expert",
        "reassign_expert",
    )

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "applicant_display", "submitted_display",
                "history_display", "assignments"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("applicant")

    @admin.display(description=_("applicant"), ordering="applicant__name")
    def applicant_name(self, app):
        return app.applicant.name or app.applicant.username

    @admin.display(description=_("waiting (days)"))
    def waiting_days(self, app):
        if app.status not in queues.WAITING_STAGES:
            return "—"
        return (timezone.now() - app.updated_at).days

    @admin.display(description=_("applicant"))
    def applicant_display(self, app):
        person = app.applicant
        return " · ".join(part for part in (person.name or person.username, person.id_number_masked,
                                            person.mobile_masked) if part)

    @admin.display(description=_("as submitted"))
    def submitted_display(self, app):
        snapshot = queues.submitted(app)
        if not app.snapshot:
            return "—"
        head = [(label, snapshot.get(key)) for key, label in (
            ("track", _gettext("Field and level")), ("institution", _gettext("Institution")),
            ("target_institution", _gettext("Institution joined")), ("certificate", _gettext("Certificate")),
            ("title", _gettext("Subject")), ("respondent", _gettext("Complained about")),
            ("content", _gettext("Statement"))) if snapshot.get(key)]
        person = snapshot["applicant"]
        head.insert(0, (_gettext("Applicant"), " · ".join(p for p in (person["name"], person["id_number_masked"],
                                                                    person["mobile_masked"]) if p)))
        head.insert(1, (_gettext("Round"), snapshot.get("round", "")))
        items = [(item["kind"], "; ".join(f"{label}: {value}" for label, value in queues.data_lines(item["data"])))
                 for item in snapshot.get("items", [])]
        return format_html("{}{}", format_html_join("", "<div><b>{}</b>: {}</div>", head),
                           format_html_join("", "<div>· {} — {}</div>", items))

    @admin.display(description=_("steps"))
    def history_display(self, app):
        rows = []
        for step in queues.application_history(app):
            if step["assignment"]:
                rows.append((local_time(step["at"]), step["actor"],
                             _gettext("assigned to %(expert)s, due %(due)s") % {
                                 "expert": step["assignee"], "due": step["due_at"] or "—"}))
            else:
                rows.append((local_time(step["at"]), step["actor"] or _gettext("system"),
                             f"{step['before']} → {step['after']}" + (f" · {step['reason']}" if step["reason"]
                                                                        else "")))
        return format_html_join("", "<div>{} · {} · {}</div>", rows) or "—"

    @admin.display(description=_("expert assignments"))
    def assignments(self, app):
        rows = Assignment.objects.filter(content_type__app_label="certification", content_type__model="application",
                                         object_id=str(app.pk), stage=EVALUATION_STAGE).select_related("assignee")
        return format_html_join("", "<div>{} · {} {} · {}</div>", (
            (a.assignee.name or a.assignee.username, _gettext("due"), local_time(a.due_at) if a.due_at else "—",
             _gettext("done %(at)s") % {"at": local_time(a.done_at)} if a.done_at else _gettext("open"))
            for a in rows)) or "—"

    # -- the change page offers the decisions the workflow allows this staff member now

    def change_view(self, request, object_id, form_url="", extra_context=None):
        app = self.get_object(request, object_id)
        buttons, links = [], []
        if app is not None and self.has_change_permission(request, app):
            actions = {name: label for name, (_func, _name, label) in self.get_actions(request).items()}
            allowed = {a.name for a in allowed_actions(app, request.user)}
            buttons = [(name, actions[name]) for name in APPLICATION_DECISIONS
                       if name in allowed and name in actions and name != "return"]
            if "return" in allowed:  # with a reason per item: its own page
                links.append((reverse("admin:certification_application_return", args=[app.pk]),
                              _gettext("Return for rectification (reasons per item)")))
            if "send_to_expert" in allowed and "assign_expert" in actions:
                buttons.append(("assign_expert", actions["assign_expert"]))
            if app.status == S.EXPERT_EVALUATION and "reassign_expert" in actions:
                buttons.append(("reassign_expert", actions["reassign_expert"]))
        extra_context = {**(extra_context or {}), "decision_buttons": buttons, "decision_links": links}
        return super().change_view(request, object_id, form_url, extra_context)

    # -- 退回整改 with a reason per item (the list's action gives one reason for all selected)

    def get_urls(self):
        return [path("<int:pk>/return/", self.admin_site.admin_view(self.return_view),
                     name="certification_application_return")] + super().get_urls()

    def return_view(self, request, pk: int):
        app = get_object_or_404(Application, pk=pk)
        if not self.has_change_permission(request, app):
            raise PermissionDenied
        change_url = reverse("admin:certification_application_change", args=[app.pk])
        if not can(app, request.user, "return"):
            messages.warning(request, _("%(number)s cannot be returned now.") % {"number": app.number})
            return redirect(change_url)
        items = queues.application_items(app)
        form = ReviewForm(request.POST or None, actions=[APPLICATION.action("return")], items=items,
                          initial={"decision": "return"})
        if request.method == "POST" and form.is_valid():
            try:
                services.review(app=app, actor=request.user, action="return", reason=form.cleaned_data["reason"],
                                item_reasons=form.item_reasons())
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("%(number)s returned for rectification.") % {"number": app.number})
                return redirect(change_url)
        item_fields = dict(form.item_fields)
        return render(request, "admin/certification/application/return.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": app, "form": form,
            "title": _("Return %(number)s for rectification") % {"number": app.number},
            "rows": [(item, form[item_fields[item]]) for item in items]})

    # -- 分配专家, one or many at once

    @admin.action(description=_("Assign to an expert"), permissions=["change"])
    def assign_expert(self, request, queryset):
        return self._assign(request, queryset, "assign_expert", reassign=False)

    @admin.action(description=_("Reassign to another expert (an overdue evaluation)"), permissions=["change"])
    def reassign_expert(self, request, queryset):
        return self._assign(request, queryset, "reassign_expert", reassign=True)

    def _assign(self, request, queryset, action: str, *, reassign: bool):
        form = ExpertChoiceForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return render(request, "admin/action_reason.html", {
                **self.admin_site.each_context(request), "form": form, "queryset": queryset,
                "opts": self.model._meta, "action": action,
                "title": _("Reassign to another expert") if reassign else _("Assign to an expert"),
                "button": _("Reassign") if reassign else _("Assign")})
        eligible, skipped = [], 0
        for app in queryset:
            fits = app.status == S.EXPERT_EVALUATION if reassign else can(app, request.user, "send_to_expert")
            if fits:
                eligible.append(app)
            else:
                skipped += 1
        expert = form.cleaned_data["expert"]
        report = review_services.experts_assign(applications=eligible, actor=request.user, expert=expert,
                                                due_at=form.due_at)
        for app, reason in report.refused:
            messages.error(request, f"{app}: {reason}")
        if report.assigned:
            messages.success(request, _("%(n)d assigned to %(expert)s: %(numbers)s.") % {
                "n": len(report.assigned), "expert": expert.name or expert.username,
                "numbers": "、".join(str(app) for app in report.assigned)})
        if skipped:
            messages.warning(request, (_("%(n)d not with an expert: only applications in expert evaluation can be "
                                         "reassigned.") if reassign else
                                       _("%(n)d cannot go to an expert now (association review only; complaints "
                                         "are decided without one).")) % {"n": skipped})
        return None



@admin.register(ApplicationItem)
class ApplicationItemAdmin(CandidateSearchMixin, ReadOnlyAdmin):
    list_display = ("application", "kind", "title", "return_reason")
    list_filter = ("kind",)
    search_fields = ("application__number",)
    candidate_path = "application__applicant"
    list_select_related = ("application",)
    search_help_text = ApplicationAdmin.search_help_text

    @admin.display(description=_("item"))
    def title(self, item):
        return services.item_title(item)


@admin.register(Evidence)
class EvidenceAdmin(CandidateSearchMixin, ReadOnlyAdmin):
    list_display = ("application", "name", "content_type", "uploaded_by", "created_at", "download")
    search_fields = ("application__number", "name")
    candidate_path = "application__applicant"
    list_select_related = ("application", "uploaded_by")
    exclude = ("file",)
    readonly_fields = ("application", "item", "name", "content_type", "uploaded_by", "created_at", "download")
    search_help_text = ApplicationAdmin.search_help_text

    @admin.display(description=_("file"))
    def download(self, evidence):
        return _evidence_links([evidence])


class ItemVerdictInline(PlainTextAdmin, admin.TabularInline):
    model = ItemVerdict
    extra = 0
    can_delete = False
    fields = ("item", "conforming", "comment")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("application", "expert", "result", "submitted_at")
    list_filter = ("result",)
    search_fields = ("application__number", "expert__name", "expert__username")
    list_select_related = ("application", "expert")
    inlines = (ItemVerdictInline,)


@admin.register(ItemVerdict)
class ItemVerdictAdmin(ReadOnlyAdmin):
    list_display = ("evaluation", "item", "conforming", "comment")
    list_filter = ("conforming",)
    search_fields = ("evaluation__application__number",)
    list_select_related = ("evaluation__application", "evaluation__expert", "item")


# --------------------------------------------------------------------------- payment vouchers (E6)


def _voucher_actions() -> list:
    """Confirm / reject through the fees' voucher services; none (read-only) until they exist."""
    confirm = getattr(fees, "voucher_confirm", None)
    reject = getattr(fees, "voucher_reject", None)
    if confirm is None or reject is None:
        return []
    return [
        decision("confirm", _("Confirm the payment"),
                 lambda request, voucher, reason: confirm(voucher=voucher, actor=request.user)),
        decision("reject", _("Reject the voucher (asks for the reason)"),
                 lambda request, voucher, reason: reject(voucher=voucher, actor=request.user, reason=reason),
                 reason_label=_("Reason (the applicant reads it)")),
    ]


@admin.register(PaymentVoucher)
class PaymentVoucherAdmin(CandidateSearchMixin, AuditHistoryMixin, DecisionsOnlyAdmin):
    list_display = ("application", "applicant", "amount", "status", "invoice_wanted", "created_at", "download")
    list_filter = ("status", "invoice_wanted", ("created_at", admin.DateFieldListFilter))
    search_fields = ("application__number",)
    candidate_path = "application__applicant"
    list_select_related = ("application__applicant",)
    search_help_text = ApplicationAdmin.search_help_text
    exclude = ("file",)
    actions = _voucher_actions()

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "file"] + ["download"]

    @admin.display(description=_("applicant"))
    def applicant(self, voucher):
        return voucher.application.applicant

    @admin.display(description=_("voucher"))
    def download(self, voucher):
        if not voucher.file:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("certification:voucher-file", args=[voucher.pk]),
                           _gettext("Download"))


# --------------------------------------------------------------------------- certificates (G10)


class ShownStatusFilter(admin.SimpleListFilter):
    """Valid, expired (a valid one past its date), suspended, revoked: as the verification page says."""

    title = _("status")
    parameter_name = "shown"

    def lookups(self, request, model_admin):
        return [(CertificateStatus.VALID, CertificateStatus.VALID.label), ("expired", _("Expired")),
                (CertificateStatus.SUSPENDED, CertificateStatus.SUSPENDED.label),
                (CertificateStatus.REVOKED, CertificateStatus.REVOKED.label)]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "expired":
            return queryset.filter(status=CertificateStatus.VALID, valid_until__lt=today)
        if self.value() == CertificateStatus.VALID:
            return queryset.filter(status=CertificateStatus.VALID, valid_until__gte=today)
        if self.value() in CertificateStatus.values:
            return queryset.filter(status=self.value())
        return queryset


def _set_status(action: str):
    def carry_out(request, certificate, reason):
        services.certificate_set_status(certificate=certificate, actor=request.user, action=action, reason=reason)

    return carry_out


@admin.register(Certificate)
class CertificateAdmin(CandidateSearchMixin, AuditHistoryMixin, DecisionsOnlyAdmin):
    list_display = ("number", "holder", "track", "institution", "issued_on", "valid_until", "shown_status_label")
    list_filter = (ShownStatusFilter, "track__field", "track__level", ("institution", admin.RelatedOnlyFieldListFilter))
    search_fields = ("number",)
    candidate_path = "holder"
    search_help_text = _("Search by certificate number, or the holder's name, username, mobile or full ID number.")
    list_select_related = ("holder", "track__field", "track__level", "institution")
    exclude = ("token", "verification_code")
    actions = (
        decision("suspend", _("Suspend (asks for the reason)"), _set_status("suspend")),
        decision("reinstate", _("Reinstate (asks for the reason)"), _set_status("reinstate")),
        decision("revoke", _("Revoke (asks for the reason)"), _set_status("revoke")),
    )

    def get_readonly_fields(self, request, obj=None):
        hidden = {"token", "verification_code"}
        return [name for name in super().get_readonly_fields(request, obj) if name not in hidden] + [
            "shown_status_label"]

    @admin.display(description=_("shown as"))
    def shown_status_label(self, certificate):
        shown = certificate.shown_status()
        return _gettext("Expired") if shown == "expired" else CertificateStatus(shown).label
