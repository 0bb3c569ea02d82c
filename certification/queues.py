"""Reads for the reviewers (selectors): what waits for an institution (待审核) or an expert (专家评价),
the institution's people and certificates, one application's history, and the figures per stage
for staff. Each `*_for` returns the object or raises Http404 for a user who may not see it."""
from __future__ import annotations

import datetime
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from core.admin_search import id_number_digest
from core.masking import mask_email, mask_mobile
from core.models import Assignment, AuditEntry, Review

from .models import (
    Application,
    ApplicationStatus,
    AuditRole,
    Certificate,
    CertificateStatus,
    Evaluation,
    Field,
    PracticingRelation,
)
from .states import EVALUATION_STAGE

S = ApplicationStatus

# The stages an institution reviews (机构初审, 转出机构审核, 转入机构审核).
INSTITUTION_STAGES = (S.INSTITUTION_REVIEW, S.TRANSFER_OUT_REVIEW, S.TRANSFER_IN_REVIEW)
# Stages an application waits in (the figures per stage); drafts and finished ones are not waiting.
WAITING_STAGES = (S.INSTITUTION_REVIEW, S.TRANSFER_OUT_REVIEW, S.TRANSFER_IN_REVIEW, S.PAYMENT,
                  S.ASSOCIATION_REVIEW, S.EXPERT_EVALUATION, S.ASSOCIATION_DECISION, S.RETURNED)


# --------------------------------------------------------------------------- who is who


def is_institution_user(user) -> bool:
    return user.is_authenticated and user.is_active and user.kind == "institution" and bool(user.institution_id)


def is_expert(user) -> bool:
    return user.is_authenticated and user.is_active and user.groups.filter(name=Role.EXPERT).exists()


def _search_applications(queryset, term: str, prefix: str = "applicant__"):
    """Application number, the applicant's name, username or mobile, or their full ID number."""
    term = (term or "").strip()
    if not term:
        return queryset
    condition = (Q(number__icontains=term) | Q(**{f"{prefix}name__icontains": term})
                 | Q(**{f"{prefix}username__iexact": term}) | Q(**{f"{prefix}mobile": term}))
    digest = id_number_digest(term)
    if digest:
        condition |= Q(**{f"{prefix}id_number_hash": digest})
    return queryset.filter(condition)


# --------------------------------------------------------------------------- institutions (机构用户)


def _of_institution(user):
    """Applications that concern the user's institution: its people's, and transfers into it."""
    return Q(institution_id=user.institution_id) | Q(target_institution_id=user.institution_id)


def institution_queue(user, *, q: str = "", kind: str = "", stage: str = "", track_id: int | None = None):
    """待审核: what waits for the user's institution, oldest first."""
    if not is_institution_user(user):
        return Application.objects.none()
    waiting = (Q(status__in=(S.INSTITUTION_REVIEW, S.TRANSFER_OUT_REVIEW), institution_id=user.institution_id)
               | Q(status=S.TRANSFER_IN_REVIEW, target_institution_id=user.institution_id))
    queryset = Application.objects.filter(waiting)
    if kind:
        queryset = queryset.filter(kind=kind)
    if stage:
        queryset = queryset.filter(status=stage)
    if track_id:
        queryset = queryset.filter(track_id=track_id)
    return (_search_applications(queryset, q)
            .select_related("applicant", "track__field", "track__level", "institution", "target_institution")
            .order_by("submitted_at", "pk"))


def institution_application_for(user, pk: int) -> Application:
    """An application the institution user may open: submitted, and concerning their institution."""
    if not is_institution_user(user):
        raise Http404("not an institution user")
    app = (Application.objects.filter(_of_institution(user), pk=pk).exclude(status=S.DRAFT)
           .select_related("applicant", "track__field", "track__level", "institution", "target_institution",
                           "certificate").first())
    if app is None:
        raise Http404("no such application for this institution")
    return app


def institution_handled(user, *, q: str = ""):
    """Applications of the institution that no longer wait for it (for the "all applications" tab)."""
    if not is_institution_user(user):
        return Application.objects.none()
    queryset = Application.objects.filter(_of_institution(user)).exclude(status=S.DRAFT)
    return (_search_applications(queryset, q)
            .select_related("applicant", "track__field", "track__level").order_by("-submitted_at", "-pk"))


def institution_people(user, *, q: str = "", current: str = "current"):
    """The institution's people (执业人员): current, former or all practicing relations."""
    if not is_institution_user(user):
        return PracticingRelation.objects.none()
    queryset = PracticingRelation.objects.filter(institution_id=user.institution_id).select_related("person")
    if current == "current":
        queryset = queryset.filter(ended_on__isnull=True)
    elif current == "former":
        queryset = queryset.filter(ended_on__isnull=False)
    term = (q or "").strip()
    if term:
        condition = Q(person__name__icontains=term) | Q(person__mobile=term)
        digest = id_number_digest(term)
        if digest:
            condition |= Q(person__id_number_hash=digest)
        queryset = queryset.filter(condition)
    return queryset.order_by("person__name", "-started_on")


def institution_certificates(user, *, q: str = "", status: str = "", field_id: int | None = None):
    """The certificates recorded at the institution; `status` is the shown one (expired included)."""
    if not is_institution_user(user):
        return Certificate.objects.none()
    queryset = Certificate.objects.filter(institution_id=user.institution_id).select_related(
        "holder", "track__field", "track__level")
    today = timezone.localdate()
    if status == "expired":
        queryset = queryset.filter(status=CertificateStatus.VALID, valid_until__lt=today)
    elif status == CertificateStatus.VALID:
        queryset = queryset.filter(status=CertificateStatus.VALID, valid_until__gte=today)
    elif status in CertificateStatus.values:
        queryset = queryset.filter(status=status)
    if field_id:
        queryset = queryset.filter(track__field_id=field_id)
    term = (q or "").strip()
    if term:
        condition = Q(number__icontains=term) | Q(holder__name__icontains=term)
        digest = id_number_digest(term)
        if digest:
            condition |= Q(holder__id_number_hash=digest)
        queryset = queryset.filter(condition)
    return queryset.order_by("valid_until", "number")


# --------------------------------------------------------------------------- experts (专家评价)


def _application_type():
    return ContentType.objects.get_for_model(Application)


def expert_queue(user, *, q: str = "", kind: str = "", overdue_only: bool = False) -> list[dict]:
    """The applications assigned to the expert and not yet evaluated: overdue first, then by due date
    (none last), then the oldest assignment."""
    if not is_expert(user):
        return []
    now = timezone.now()
    assignments = (Assignment.objects.filter(content_type=_application_type(), stage=EVALUATION_STAGE,
                                             assignee=user, done_at__isnull=True)
                   .annotate(overdue=Case(When(due_at__lt=now, then=Value(0)), default=Value(1),
                                          output_field=IntegerField()))
                   .order_by("overdue", "due_at", "created_at"))
    if overdue_only:
        assignments = assignments.filter(due_at__lt=now)
    assignments = list(assignments)
    applications = Application.objects.filter(pk__in=[int(a.object_id) for a in assignments])
    if kind:
        applications = applications.filter(kind=kind)
    applications = {app.pk: app for app in _search_applications(applications, q).select_related(
        "applicant", "track__field", "track__level", "institution")}
    return [{"assignment": a, "application": applications[int(a.object_id)],
             "overdue": a.due_at is not None and a.due_at < now}
            for a in assignments if int(a.object_id) in applications]


def expert_application_for(user, pk: int) -> tuple[Application, Evaluation | None]:
    """The application to evaluate, and the expert's submitted evaluation of it if there is one:
    only for an expert it is (or was) assigned to."""
    if not is_expert(user):
        raise Http404("not an expert")
    app = Application.objects.filter(pk=pk).select_related(
        "applicant", "track__field", "track__level", "institution", "target_institution", "certificate").first()
    if app is None:
        raise Http404("no such application")
    open_assignment = Assignment.objects.filter(content_type=_application_type(), object_id=str(app.pk),
                                                stage=EVALUATION_STAGE, assignee=user, done_at__isnull=True).exists()
    evaluation = (Evaluation.objects.filter(application=app, expert=user).prefetch_related("verdicts__item")
                  .order_by("-created_at").first())
    if not open_assignment and evaluation is None:
        raise Http404("not assigned to this expert")
    return app, (None if open_assignment else evaluation)


# --------------------------------------------------------------------------- one application


def application_items(app: Application) -> list:
    """The items with their evidence files and what they say (`lines`), in the applicant's order."""
    items = list(app.items.prefetch_related("evidence").order_by("kind", "order", "pk"))
    fields = dict(Field.objects.values_list("pk", "name"))
    for item in items:
        item.lines = data_lines(item.data, fields)
    return items


ITEM_LABELS = {
    "employer": _("Employer"), "position": _("Position"), "started_on": _("From"), "ended_on": _("Until"),
    "description": _("Description"), "organisation": _("Audited organisation"), "field_id": _("Field"),
    "role": _("Role"), "audited_on": _("First audit day"), "days": _("Audit days"), "course": _("Course"),
    "provider": _("Training institution"), "hours": _("Hours"), "completed_on": _("Completed on"),
    "level": _("Education"), "degree": _("Degree"), "school": _("School"), "major": _("Major"),
    "graduated_on": _("Graduated on"), "title": _("Title"),
}


def data_lines(data: dict, fields: dict | None = None) -> list[tuple[str, str]]:
    """An item's data as (label, value) in words: codes become their labels."""
    from accounts.models import DegreeLevel, EducationLevel

    choices = {"role": dict(AuditRole.choices), "level": dict(EducationLevel.choices),
               "degree": dict(DegreeLevel.choices), "field_id": fields if fields is not None
               else dict(Field.objects.values_list("pk", "name"))}
    lines = []
    for key, value in data.items():
        if value in (None, ""):
            continue
        shown = choices[key].get(value, value) if key in choices else value
        lines.append((str(ITEM_LABELS.get(key, key)), str(shown)))
    return lines


def submitted(app: Application) -> dict:
    """What the applicant submitted (the snapshot), with personal data masked for the page."""
    snapshot = app.snapshot or {}
    person = snapshot.get("applicant") or {}
    return {**snapshot, "applicant": {
        "name": person.get("name") or app.applicant.name, "id_number_masked": person.get("id_number_masked", ""),
        "mobile_masked": mask_mobile(person.get("mobile", "")), "email_masked": mask_email(person.get("email", ""))}}


def application_history(app: Application) -> list[dict]:
    """Every step of the chain, oldest first: the status changes with their reason, the reviews'
    roles and the expert assignments (the rounds of 退回整改 included)."""
    entries = (AuditEntry.objects.filter(content_type=_application_type(), object_id=str(app.pk))
               .filter(Q(action__in=[f"application.{s}" for s in S.values]) | Q(action="assignment.created"))
               .select_related("actor").order_by("created_at", "pk"))
    rows = []
    for entry in entries:
        if entry.action == "assignment.created":
            rows.append({"at": entry.created_at, "actor": entry.actor_repr, "assignment": True,
                         "assignee": entry.after.get("assignee", ""), "due_at": entry.after.get("due_at") or ""})
            continue
        before, after = entry.before.get("status", ""), entry.after.get("status", "")
        rows.append({"at": entry.created_at, "actor": _who(entry), "assignment": False,
                     "before": _status_label(before), "after": _status_label(after),
                     "reason": entry.after.get("reason", "") if entry.after.get("reason") != "no fee" else "",
                     "round": entry.after.get("round")})
    return rows


def _who(entry) -> str:
    if entry.actor is None:
        return ""
    return entry.actor.name or entry.actor.get_username()


def _status_label(value: str) -> str:
    try:
        return str(S(value).label)
    except ValueError:
        return value


def reviews_of(app: Application):
    return Review.objects.filter(content_type=_application_type(), object_id=str(app.pk)).order_by("created_at")


# --------------------------------------------------------------------------- figures per stage (staff)


def stage_figures(*, since_days: int = 365, now: datetime.datetime | None = None) -> list[dict]:
    """Per waiting stage: how many applications wait there now, since when the oldest waits, the
    average wait so far, and the average time spent there by applications that moved on (from the
    audit trail of the last `since_days` days)."""
    now = now or timezone.now()
    waiting = dict(Application.objects.filter(status__in=WAITING_STAGES).values_list("status")
                   .annotate(n=Count("pk")))
    entered_now = _entered_current_stage(now)
    spent = _time_spent_per_stage(since=now - datetime.timedelta(days=since_days))
    rows = []
    for stage in WAITING_STAGES:
        ages = [now - entered for status, entered in entered_now if status == stage]
        durations = spent.get(stage, [])
        rows.append({
            "stage": stage, "label": S(stage).label, "waiting": waiting.get(stage, 0),
            "oldest": min((entered for status, entered in entered_now if status == stage), default=None),
            "average_waiting": _average(ages), "moved_on": len(durations), "average_spent": _average(durations),
        })
        rows[-1]["average_waiting_text"] = duration_text(rows[-1]["average_waiting"])
        rows[-1]["average_spent_text"] = duration_text(rows[-1]["average_spent"])
    return rows


def duration_text(value: datetime.timedelta | None) -> str:
    """3 d 4 h, or 5 h 20 min under a day; "—" for none."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}


def _average(durations: list[datetime.timedelta]) -> datetime.timedelta | None:
    if not durations:
        return None
    return sum(durations, datetime.timedelta()) / len(durations)


def _status_entries(queryset):
    return (queryset.filter(content_type=_application_type(), action__in=[f"application.{s}" for s in S.values])
            .order_by("object_id", "created_at", "pk").values_list("object_id", "created_at", "after"))


def _entered_current_stage(now) -> list[tuple[str, datetime.datetime]]:
    """(status, when it was entered) of every waiting application."""
    waiting = dict(Application.objects.filter(status__in=WAITING_STAGES).values_list("pk", "status"))
    entered: dict[int, tuple[str, datetime.datetime]] = {}
    entries = AuditEntry.objects.filter(object_id__in=[str(pk) for pk in waiting])
    for object_id, created_at, after in _status_entries(entries):
        pk = int(object_id)
        if after.get("status") == waiting[pk]:
            entered[pk] = (waiting[pk], created_at)
    return list(entered.values())


def _time_spent_per_stage(*, since) -> dict[str, list[datetime.timedelta]]:
    """Each stay in a stage that ended after `since`: from the entry that moved the application into
    it to the next one that moved it on."""
    spent: dict[str, list[datetime.timedelta]] = defaultdict(list)
    previous: dict[str, tuple[str, datetime.datetime]] = {}
    for object_id, created_at, after in _status_entries(AuditEntry.objects.filter(created_at__gte=since
                                                                                    - datetime.timedelta(days=365))):
        if object_id in previous:
            stage, entered = previous[object_id]
            if stage in WAITING_STAGES and created_at >= since:
                spent[stage].append(created_at - entered)
        previous[object_id] = (after.get("status", ""), created_at)
    return spent

