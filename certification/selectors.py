"""Reads for the applicant's pages (个人中心: 在线申请, 我的事项, 基本信息库, 我的证书) and the access
checks that 404 (an application, a supporting file)."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import (
    DegreeLevel,
    EducationLevel,
    EducationRecord,
    Institution,
    InstitutionKind,
)
from core.models import Assignment, AuditEntry, Review

from . import requirements
from .models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    AuditRole,
    Certificate,
    CertificateStatus,
    Evidence,
    Field,
    ItemKind,
    PaymentVoucher,
    Track,
)
from .services import LIBRARY_FIELDS, SUBMIT_ACTION, current_institution
from .states import APPLICATION, EVALUATION_STAGE

K = ApplicationKind
S = ApplicationStatus

# What the holder and the verification page call a certificate's state (shown_status()).
SHOWN_STATUS_LABELS = {
    "valid": gettext_lazy("Valid"),
    "expired": gettext_lazy("Expired"),
    CertificateStatus.SUSPENDED: gettext_lazy("Suspended"),
    CertificateStatus.REVOKED: gettext_lazy("Revoked"),
}


# --------------------------------------------------------------------------- access


def application_for_applicant(pk: int, user) -> Application:
    """One of the user's own applications, or 404 (reviewers have their own pages)."""
    return get_object_or_404(
        Application.objects.select_related("track__field", "track__level", "institution", "target_institution",
                                           "certificate"),
        pk=pk, applicant=user)


def may_edit(app: Application, user) -> bool:
    """The applicant may change and submit it now: the state is one its submit action starts from and
    the user is the one who may submit (as declared in certification.states; guards are checked on submit)."""
    action = APPLICATION.action(SUBMIT_ACTION[app.kind])
    return app.status in action.source and action.who.allows(app, user)


def _may_see_evidence(app: Application, user) -> bool:
    if app.applicant_id == user.pk or user.has_perm("certification.view_evidence"):
        return True
    if user.kind == "institution" and user.institution_id and app.submitted_at is not None:
        # A reviewing institution sees what was submitted to it: the one left (or the practicing one)
        # from the first submission, the one joined once the transfer has reached it.
        if user.institution_id == app.institution_id:
            return True
        if user.institution_id == app.target_institution_id and app.status not in (
                ApplicationStatus.DRAFT, ApplicationStatus.TRANSFER_OUT_REVIEW):
            return True
    return Assignment.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=str(app.pk),
        stage=EVALUATION_STAGE, assignee=user, done_at__isnull=True).exists() or app.evaluations.filter(
        expert=user).exists()


def evidence_for_user(pk: int, user) -> Evidence:
    """A supporting file for the applicant, the reviewing institutions' users, the assigned expert and
    association staff; 404 for anyone else (its existence is not revealed)."""
    evidence = Evidence.objects.select_related("application").filter(pk=pk).first()
    if evidence is None or not user.is_authenticated or not user.is_active or not _may_see_evidence(
            evidence.application, user):
        raise Http404("no such file")
    return evidence


# --------------------------------------------------------------------------- 我的事项


def my_applications(user, *, query: str = "", kind: str = "", status: str = ""):
    """Every application of the user's, drafts included, newest first."""
    rows = (Application.objects.filter(applicant=user)
            .select_related("track__field", "track__level", "certificate", "institution", "target_institution")
            .order_by("-created_at", "-pk"))
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    query = query.strip()
    if query:
        rows = rows.filter(Q(number__icontains=query) | Q(title__icontains=query)
                           | Q(track__field__code__icontains=query) | Q(track__field__name__icontains=query)
                           | Q(certificate__number__icontains=query))
    return rows


@dataclass
class ExamItem:
    """An exam-related row of 我的事项 (seed 002 §4): read-only, linking to its own page."""

    kind: str
    title: str
    status: str
    time: datetime.datetime | None
    enrollment_id: int | None


def exam_items(user) -> list[ExamItem]:
    from registration.models import Enrollment, ScoreReview

    rows = [ExamItem(kind=_("Exam registration"), title=e.exam.name, status=e.get_status_display(),
                     time=e.notice_accepted_at, enrollment_id=e.pk)
            for e in Enrollment.objects.filter(candidate=user).select_related("exam").order_by("-notice_accepted_at")]
    rows += [ExamItem(kind=_("Score review"), title=f"{r.ticket.enrollment.exam.name} · {r.ticket.subject.name}",
                      status=r.get_status_display() + (f": {r.outcome}" if r.outcome else ""),
                      time=r.created_at, enrollment_id=r.ticket.enrollment_id)
             for r in ScoreReview.objects.filter(candidate=user)
             .select_related("ticket__enrollment__exam", "ticket__subject").order_by("-created_at")]
    return rows


# --------------------------------------------------------------------------- one application


ITEM_LABELS = {
    "employer": gettext_lazy("Employer"), "position": gettext_lazy("Position"), "started_on": gettext_lazy("From"),
    "ended_on": gettext_lazy("Until"), "description": gettext_lazy("Description"),
    "organisation": gettext_lazy("Audited organisation"), "field_id": gettext_lazy("Field"),
    "role": gettext_lazy("Role"), "audited_on": gettext_lazy("First audit day"), "days": gettext_lazy("Audit days"),
    "course": gettext_lazy("Course"), "provider": gettext_lazy("Training institution"),
    "hours": gettext_lazy("Hours"), "completed_on": gettext_lazy("Completed on"),
    "level": gettext_lazy("Education"), "degree": gettext_lazy("Degree"), "school": gettext_lazy("School"),
    "major": gettext_lazy("Major"), "graduated_on": gettext_lazy("Graduation date"),
}


def _shown_value(key: str, value, fields: dict) -> str:
    if value in (None, ""):
        return "—"
    if key == "field_id":
        return str(fields.get(value, value))
    if key == "role":
        return str(dict(AuditRole.choices).get(value, value))
    if key == "level":
        return str(dict(EducationLevel.choices).get(value, value))
    if key == "degree":
        return str(dict(DegreeLevel.choices).get(value, value))
    return str(value)


def item_rows(kind: str, data: dict, fields: dict | None = None) -> list[tuple[str, str]]:
    """An item's data as label/value pairs in the order of its kind."""
    if fields is None:
        fields = {f.pk: f for f in Field.objects.all()}
    keys = LIBRARY_FIELDS.get(kind, tuple(data))
    return [(str(ITEM_LABELS.get(key, key)), _shown_value(key, data.get(key), fields)) for key in keys]


@dataclass
class ItemView:
    pk: int | None
    kind: str
    kind_label: str
    rows: list
    return_reason: str
    from_library: bool
    evidence: list


def items_of(app: Application, *, as_submitted: bool) -> dict[str, list[ItemView]]:
    """The application's items by kind: as submitted (the snapshot) or as they are now (a draft)."""
    fields = {f.pk: f for f in Field.objects.all()}
    live = {item.pk: item for item in app.items.all()}
    evidence_by_item: dict = {}
    for evidence in app.evidence.all():
        evidence_by_item.setdefault(evidence.item_id, []).append(evidence)
    if as_submitted and app.snapshot.get("items") is not None:
        source = [(entry.get("id"), entry["kind"], entry["data"]) for entry in app.snapshot["items"]]
    else:
        source = [(item.pk, item.kind, item.data) for item in live.values()]
    grouped: dict[str, list[ItemView]] = {kind: [] for kind in ItemKind.values}
    for pk, kind, data in source:
        item = live.get(pk)
        grouped.setdefault(kind, []).append(ItemView(
            pk=pk, kind=kind, kind_label=str(ItemKind(kind).label), rows=item_rows(kind, data, fields),
            return_reason=item.return_reason if item else "", from_library=bool(item and item.source_id),
            evidence=evidence_by_item.get(pk, [])))
    return {kind: rows for kind, rows in grouped.items() if rows}


def unattached_evidence(app: Application) -> list[Evidence]:
    return [e for e in app.evidence.all() if e.item_id is None]


def kind_takes_items(kind: str) -> bool:
    """Registrations and annual confirmations carry experiences; transfers and cases only files."""
    return kind in (K.REGISTRATION, K.ANNUAL)


def last_return_reason(app: Application) -> str:
    review = (Review.objects.filter(content_type=ContentType.objects.get_for_model(Application),
                                    object_id=str(app.pk), verdict="return").order_by("-created_at", "-pk").first())
    return review.reason if review else ""


def submit_problems(app: Application) -> list[str]:
    """What still stops the application from being submitted (the service checks the same list)."""
    return requirements.problems(app)


# --------------------------------------------------------------------------- the timeline


@dataclass
class Step:
    time: datetime.datetime
    who: str
    what: str
    status: str
    reason: str
    round: int | None


def _who(actor, app: Application, review: Review | None) -> str:
    """Who acted, by role: reviewers' personal names stay out of the applicant's view."""
    if actor is None:
        return _("System")
    if actor.pk == app.applicant_id:
        return _("Applicant")
    if actor.kind == "institution" and actor.institution_id:
        return _("Institution: %(name)s") % {"name": actor.institution.name}
    stage = review.stage if review else ""
    if stage == EVALUATION_STAGE or (not actor.is_staff and actor.groups.filter(name="expert").exists()):
        return _("Expert")
    return _("Association")


def timeline(app: Application) -> list[Step]:
    """Every step of the application, oldest first: created, each submission (with its round), each
    verdict with its reason, the decision; from the audit trail and the review records."""
    content_type = ContentType.objects.get_for_model(Application)
    reviews = list(Review.objects.filter(content_type=content_type, object_id=str(app.pk)).order_by("created_at",
                                                                                                   "pk"))
    entries = (AuditEntry.objects.filter(content_type=content_type, object_id=str(app.pk))
               .filter(Q(action="application.created") | Q(after__has_key="status"))
               .select_related("actor__institution").order_by("created_at", "pk"))
    labels = dict(ApplicationStatus.choices)
    steps = []
    for entry in entries:
        if entry.action == "application.created":
            steps.append(Step(time=entry.created_at, who=_who(entry.actor, app, None), what=_("Draft created"),
                              status=str(labels[S.DRAFT]), reason="", round=None))
            continue
        target = entry.after.get("status")
        review = next((r for r in reviews if r.reviewer_id == entry.actor_id
                       and APPLICATION.by_name.get(r.verdict) is not None
                       and APPLICATION.by_name[r.verdict].target == target), None)
        if review is not None:
            reviews.remove(review)
            what = str(APPLICATION.action(review.verdict).label)
        else:
            candidates = [a for a in APPLICATION.actions_to(target) if entry.before.get("status") in a.source]
            what = str(candidates[0].label) if candidates else str(labels.get(target, target))
        steps.append(Step(time=entry.created_at, who=_who(entry.actor, app, review), what=what,
                          status=str(labels.get(target, target)), reason=entry.after.get("reason", ""),
                          round=entry.after.get("round")))
    return steps


def vouchers_of(app: Application) -> list[PaymentVoucher]:
    return list(app.vouchers.order_by("-created_at"))


def payment_may_happen(app: Application) -> bool:
    """The application is where its chain waits for the fee (the confirm_payment action starts here)."""
    return app.status in APPLICATION.action("confirm_payment").source


# --------------------------------------------------------------------------- 在线申请


def tracks():
    return Track.objects.select_related("field", "level")


def certification_bodies():
    return Institution.objects.filter(kind=InstitutionKind.CERTIFICATION_BODY).order_by("name")


def practicing_institution(user):
    return current_institution(user)


def open_registration(user, track) -> Application | None:
    """The user's application for this field and level still open (one at a time: a database rule)."""
    return (Application.objects.filter(applicant=user, kind=K.REGISTRATION, track=track)
            .exclude(status__in=[S.APPROVED, S.REJECTED, S.WITHDRAWN]).first())


def valid_certificates(user):
    """Certificates that are valid today: only their holders may change practicing institution."""
    from django.utils import timezone

    return (Certificate.objects.filter(holder=user, status=CertificateStatus.VALID,
                                       valid_until__gte=timezone.localdate())
            .select_related("track__field", "track__level", "institution"))


def open_application_for_certificate(user, certificate, kind: str) -> Application | None:
    return (Application.objects.filter(applicant=user, kind=kind, certificate=certificate)
            .exclude(status__in=[S.APPROVED, S.REJECTED, S.WITHDRAWN, S.CLOSED]).first())


def next_renewal_window(user) -> datetime.date | None:
    """When annual confirmation opens next for one of the user's valid certificates (none: None)."""
    from django.utils import timezone

    today = timezone.localdate()
    opens = [c.valid_until - datetime.timedelta(days=settings.CERTIFICATION_RENEWAL_DAYS)
             for c in Certificate.objects.filter(holder=user, status=CertificateStatus.VALID)]
    future = [day for day in opens if day > today]
    return min(future) if future else None


# --------------------------------------------------------------------------- 基本信息库 and certificates


def library_of(user) -> dict:
    return {
        ItemKind.WORK: list(user.work_experiences.all()),
        ItemKind.AUDIT: list(user.audit_experiences.select_related("field")),
        ItemKind.TRAINING: list(user.training_records.all()),
        ItemKind.EDUCATION: list(EducationRecord.objects.filter(user=user)),
    }


def library_choices(app: Application, kind: str) -> list:
    """The user's library entries of this kind not yet in the application."""
    taken = set(app.items.filter(kind=kind, source_id__isnull=False).values_list("source_id", flat=True))
    return [entry for entry in library_of(app.applicant)[kind] if entry.pk not in taken]


def my_certificates(user) -> list[Certificate]:
    rows = list(Certificate.objects.filter(holder=user).select_related("track__field", "track__level", "institution")
                .order_by("-issued_on", "number"))
    for certificate in rows:
        certificate.shown = certificate.shown_status()
        certificate.shown_label = SHOWN_STATUS_LABELS.get(certificate.shown, certificate.shown)
    return rows
