"""Certification personnel: the actions of the chains (certification.states) and what follows them.

Every status change is `APPLICATION.perform(…)` / `CERTIFICATE.perform(…)` in a transaction with
its audit entry; what an action leads to (a fee fixed, a certificate issued, renewed or moved, an
expert assigned) happens in the same transaction."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from stdnum.iso7064 import mod_11_2

from core.audit import audit_log
from core.notifications import notify
from core.workflow import assign, assignment_done

from . import requirements
from .exceptions import ApplicationRefused, ConflictOfInterest, RequirementsNotMet
from .models import (
    NUMBER_PREFIX,
    Application,
    ApplicationItem,
    ApplicationKind,
    ApplicationStatus,
    Certificate,
    CertificateStatus,
    Evaluation,
    EvaluationResult,
    ItemKind,
    ItemVerdict,
    PracticingRelation,
)
from .states import APPLICATION, CERTIFICATE, EVALUATION_STAGE

K = ApplicationKind
S = ApplicationStatus
SUBMIT_ACTION = {K.REGISTRATION: "submit", K.ANNUAL: "submit", K.TRANSFER: "submit_transfer",
                 K.APPEAL: "submit_case", K.COMPLAINT: "submit_case"}
EDITABLE_FIELDS = {"institution", "target_institution", "track", "certificate", "title", "content", "respondent"}


def _lock(app: Application) -> Application:
    return (Application.objects.select_for_update(of=("self",))
            .select_related("track__field", "track__level", "certificate").get(pk=app.pk))


def current_institution(person):
    relation = PracticingRelation.objects.filter(person=person, ended_on__isnull=True).select_related(
        "institution").first()
    return relation.institution if relation else None


# --------------------------------------------------------------------------- drafts (暂存草稿箱)


def application_create(*, applicant, kind: str, **fields) -> Application:
    """A draft of the applicant's; the practicing institution is filled in where the chain needs it."""
    if kind in (K.REGISTRATION, K.ANNUAL, K.TRANSFER):
        fields.setdefault("institution", current_institution(applicant))
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    try:
        with transaction.atomic():
            app = Application.objects.create(applicant=applicant, kind=kind, **fields)
    except IntegrityError as exc:  # the constraints: one open application per track, per certificate
        raise ApplicationRefused(_("You already have an open application of this kind for it: continue it under "
                                   "My items."), field="certificate" if fields.get("certificate") else "track") from exc
    with transaction.atomic():
        app.number = f"{NUMBER_PREFIX[kind]}{timezone.localdate():%Y}{app.pk:06d}"
        Application.objects.filter(pk=app.pk).update(number=app.number)
        audit_log(actor=applicant, action="application.created", obj=app, after={"kind": kind})
    return app


def _ensure_editable(app: Application, actor) -> None:
    if app.applicant_id != actor.pk:
        raise ApplicationRefused(_("Only the applicant may change this application."))
    if not app.is_editable:
        raise ApplicationRefused(_("This application is %(status)s: it cannot be edited now.")
                                 % {"status": app.get_status_display()})


def application_save(*, app: Application, actor, **fields) -> Application:
    """Save a draft (or a returned application) as it is: nothing is checked until it is submitted."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        locked = _lock(app)
        _ensure_editable(locked, actor)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        audit_log(actor=actor, action="application.saved", obj=locked,
                  after={name: str(getattr(locked, name)) for name in fields})
    return locked


LIBRARY_FIELDS = {
    ItemKind.WORK: ("employer", "position", "started_on", "ended_on", "description"),
    ItemKind.AUDIT: ("organisation", "field_id", "role", "audited_on", "days"),
    ItemKind.TRAINING: ("course", "provider", "hours", "completed_on"),
    ItemKind.EDUCATION: ("level", "degree", "school", "major", "graduated_on"),
}


def _plain(value):
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return value


def library_data(kind: str, entry) -> dict:
    """What an application copies from a library entry (a snapshot: later edits do not change it)."""
    return {name: _plain(getattr(entry, name)) for name in LIBRARY_FIELDS[kind]}


def item_add(*, app: Application, actor, kind: str, data: dict | None = None, entry=None) -> ApplicationItem:
    """添加 (typed in) or 从基本信息库添加 (`entry`: one of the applicant's library rows)."""
    if entry is not None:
        person = getattr(entry, "person_id", None) or getattr(entry, "user_id", None)
        if person != actor.pk:
            raise ApplicationRefused(_("Pick entries from your own library."))
        data = library_data(kind, entry)
    with transaction.atomic():
        locked = _lock(app)
        _ensure_editable(locked, actor)
        item = ApplicationItem.objects.create(application=locked, kind=kind, data=data or {},
                                              source_id=entry.pk if entry is not None else None,
                                              order=locked.items.filter(kind=kind).count())
        audit_log(actor=actor, action="application.item_added", obj=locked, after={"kind": kind, "item": item.pk})
    return item


def item_remove(*, item: ApplicationItem, actor) -> None:
    with transaction.atomic():
        locked = _lock(item.application)
        _ensure_editable(locked, actor)
        audit_log(actor=actor, action="application.item_removed", obj=locked, before={"kind": item.kind,
                                                                                     "data": item.data})
        item.delete()


# --------------------------------------------------------------------------- submitting


def _snapshot(app: Application) -> dict:
    person = app.applicant
    return {
        "round": app.round,
        "applicant": {"name": person.name, "id_number_masked": getattr(person, "id_number_masked", ""),
                      "mobile": person.mobile, "email": person.email},
        "institution": app.institution.name if app.institution_id else "",
        "target_institution": app.target_institution.name if app.target_institution_id else "",
        "track": str(app.track) if app.track_id else "",
        "certificate": app.certificate.number if app.certificate_id else "",
        "title": app.title, "content": app.content, "respondent": app.respondent,
        "items": [{"id": item.pk, "kind": item.kind, "data": item.data} for item in app.items.all()],
    }


def application_submit(*, app: Application, actor) -> Application:
    """提交: every unmet requirement is named at once; a returned application starts a new round."""
    with transaction.atomic():
        locked = _lock(app)
        _ensure_editable(locked, actor)
        found = requirements.problems(locked)
        if found:
            raise RequirementsNotMet(found)
        locked.round += 1
        locked.items.update(return_reason="")
        APPLICATION.perform(locked, SUBMIT_ACTION[locked.kind], actor=actor, fields={
            "round": locked.round, "submitted_at": timezone.now(), "snapshot": _snapshot(locked)},
            audit_extra={"round": locked.round})
    return locked


# --------------------------------------------------------------------------- reviews


REVIEW_ACTIONS = {"institution_approve", "transfer_out_approve", "transfer_in_approve", "return", "reject"}


def review(*, app: Application, actor, action: str, reason: str = "", item_reasons: dict | None = None) -> Application:
    """A reviewer's verdict at the current stage: approve (institution, transfer), return for
    rectification with a reason (per item as well), or reject. The association's approval and
    decisions are `application_approve` and `case_decide`."""
    if action not in REVIEW_ACTIONS:
        raise ValueError(action)
    item_reasons = {int(pk): text.strip() for pk, text in (item_reasons or {}).items() if text and text.strip()}
    if action == "return" and item_reasons and not reason.strip():
        reason = "\n".join(item_reasons.values())
    with transaction.atomic():
        locked = _lock(app)
        APPLICATION.perform(locked, action, actor=actor, reason=reason, stage=locked.status,
                            fields={"decided_at": timezone.now()} if action == "reject" else None)
        if action == "return":
            for item in locked.items.filter(pk__in=item_reasons):
                item.return_reason = item_reasons[item.pk]
                item.save(update_fields=["return_reason"])
        if action == "institution_approve":
            _fix_fee(locked)
    return locked


def _fix_fee(app: Application) -> None:
    """After the institution's review the fee is fixed; nothing to pay, or a fee paid in an earlier
    round (before a return for rectification), sends it on at once."""
    if app.paid_at is not None:
        APPLICATION.perform(app, "confirm_payment", actor=None, reason="paid in an earlier round",
                            audit_extra={"fee": str(app.fee)})
        return
    track = app.track or (app.certificate.track if app.certificate_id else None)
    fee = (track.annual_fee if app.kind == K.ANNUAL else track.fee) if track else Decimal(0)
    Application.objects.filter(pk=app.pk).update(fee=fee)
    app.fee = fee
    audit_log(actor=None, action="application.fee_fixed", obj=app, after={"fee": str(fee)})
    if fee == 0:
        APPLICATION.perform(app, "confirm_payment", actor=None, reason="no fee", fields={"paid_at": timezone.now()})


def payment_confirm(*, app: Application, actor=None) -> Application:
    """The fee arrived: online (actor None: the payment platform) or a voucher staff confirmed."""
    with transaction.atomic():
        locked = _lock(app)
        APPLICATION.perform(locked, "confirm_payment", actor=actor, fields={"paid_at": timezone.now()},
                            audit_extra={"fee": str(locked.fee)})
    return locked


# --------------------------------------------------------------------------- expert evaluation (G4)


def _institutions_of(app: Application) -> set[int]:
    """Every institution the application concerns: the reviewing ones, the applicant's own (an
    individual's practicing institution, an institution account's institution) and the certificate's."""
    practising = current_institution(app.applicant)
    return {pk for pk in (app.institution_id, app.target_institution_id, app.applicant.institution_id,
                          practising.pk if practising else None,
                          app.certificate.institution_id if app.certificate_id else None) if pk}


def conflict_of_interest(app: Application, expert) -> str | None:
    """An expert who works for (or practises at) the applicant's institution may not evaluate."""
    involved = _institutions_of(app)
    if app.applicant_id == expert.pk:
        return _("An expert may not evaluate their own application.")
    mine = {expert.institution_id} if expert.institution_id else set()
    practising = current_institution(expert)
    if practising is not None:
        mine.add(practising.pk)
    if involved & mine:
        return _("%(expert)s belongs to an institution concerned by this application: choose another expert.") % {
            "expert": expert.name or expert.get_username()}
    return None


def expert_assign(*, app: Application, actor, expert, due_at=None) -> None:
    """分配专家: from association review (or again, to another expert, while evaluating)."""
    from accounts.roles import Role

    if not expert.groups.filter(name=Role.EXPERT).exists():
        raise ApplicationRefused(_("%(name)s is not an expert.") % {"name": expert.name or expert.get_username()},
                                 field="expert")
    problem = conflict_of_interest(app, expert)
    if problem:
        raise ConflictOfInterest(problem, field="expert")
    with transaction.atomic():
        locked = _lock(app)
        if locked.status == S.ASSOCIATION_REVIEW:
            APPLICATION.perform(locked, "send_to_expert", actor=actor, audit_extra={"expert": expert.pk})
        elif locked.status != S.EXPERT_EVALUATION or not actor.has_perm("certification.change_application"):
            raise ApplicationRefused(_("This application is %(status)s: it cannot go to an expert now.")
                                     % {"status": locked.get_status_display()})
        else:  # reassigned: the earlier expert's open assignment is closed
            from core.models import Assignment

            Assignment.objects.filter(object_id=str(locked.pk), stage=EVALUATION_STAGE, done_at__isnull=True,
                                      content_type__model="application").update(done_at=timezone.now())
        assign(locked, assignee=expert, actor=actor, stage=EVALUATION_STAGE, due_at=due_at)
        notify(recipients=[expert], kind="certification.to_evaluate", obj=locked,
               url=_evaluation_url(locked),
               subject=gettext_noop("%(number)s waits for your evaluation"),
               body=gettext_noop("Application %(number)s was assigned to you for expert evaluation."),
               params={"number": locked.number})


def _evaluation_url(app) -> str:
    from django.urls import reverse

    return reverse("certification:evaluation", args=[app.pk])


def evaluation_submit(*, app: Application, expert, verdicts: dict, result: str, opinion: str = "") -> Evaluation:
    """The expert marks every item conforming or not (with a comment); each non-conforming item is
    written into the opinion; then the application goes to the association's decision."""
    if result not in EvaluationResult.values:
        raise ApplicationRefused(_("Choose a result."), field="result")
    with transaction.atomic():
        locked = _lock(app)
        items = {item.pk: item for item in locked.items.all()}
        missing = [pk for pk in items if pk not in verdicts and str(pk) not in verdicts]
        if missing:
            raise ApplicationRefused(_("Mark every item conforming or not."), field="verdicts")
        lines = []
        evaluation = Evaluation(application=locked, expert=expert, result=result, submitted_at=timezone.now())
        verdict_rows = []
        for pk, item in items.items():
            conforming, comment = verdicts.get(pk) or verdicts.get(str(pk))
            verdict_rows.append(ItemVerdict(item=item, item_title=item_title(item)[:300], conforming=bool(conforming),
                                            comment=comment or ""))
            if not conforming:
                lines.append(_("Not conforming: %(item)s. %(comment)s") % {
                    "item": item_title(item), "comment": comment or ""})
        evaluation.opinion = "\n".join([*lines, opinion.strip()]).strip()
        APPLICATION.perform(locked, "evaluate", actor=expert, reason=evaluation.opinion, stage=EVALUATION_STAGE)
        evaluation.save()
        for row in verdict_rows:
            row.evaluation = evaluation
        ItemVerdict.objects.bulk_create(verdict_rows)
        assignment_done(locked, assignee=expert, stage=EVALUATION_STAGE)
    return evaluation


def item_title(item: ApplicationItem) -> str:
    data = item.data
    return " ".join(str(data.get(key)) for key in ("employer", "organisation", "course", "school", "position")
                    if data.get(key)) or item.get_kind_display()


# --------------------------------------------------------------------------- the association decides


def application_approve(*, app: Application, actor, reason: str = "") -> Application:
    """批准: a registration issues the certificate, an annual confirmation extends it, a transfer
    moves the person and the certificate to the institution joined, all in one transaction."""
    with transaction.atomic():
        locked = _lock(app)
        APPLICATION.perform(locked, "approve", actor=actor, reason=reason, fields={"decided_at": timezone.now()})
        if locked.kind == K.REGISTRATION:
            certificate_issue(app=locked)
        elif locked.kind == K.ANNUAL:
            _renew(locked.certificate, years=locked.certificate.track.validity_years, app=locked)
        elif locked.kind == K.TRANSFER:
            _transfer(locked)
    return locked


def case_decide(*, app: Application, actor, opinion: str) -> Application:
    """申诉 / 投诉: the association's decision, fed back to the applicant."""
    with transaction.atomic():
        locked = _lock(app)
        APPLICATION.perform(locked, "decide", actor=actor, reason=opinion,
                            fields={"opinion": opinion, "decided_at": timezone.now()})
    return locked


def certificate_number(field_code: str, year: int, sequence: int) -> str:
    """QMS-2026-0000427 plus a check character (ISO 7064 MOD 11-2 over year and sequence)."""
    digits = f"{year}{sequence:07d}"
    return f"{field_code}-{year}-{sequence:07d}{mod_11_2.calc_check_digit(digits)}"


def certificate_number_is_valid(number: str) -> bool:
    try:
        _field, year, rest = number.rsplit("-", 2)
        return mod_11_2.is_valid(f"{year}{rest}")
    except ValueError:
        return False


def certificate_issue(*, app: Application) -> Certificate:
    today = timezone.localdate()
    track = app.track
    valid_until = _years_later(today, track.validity_years) - datetime.timedelta(days=1)
    certificate = Certificate.objects.create(
        number=f"pending-{app.pk}-{app.round}", holder=app.applicant, track=track, institution=app.institution,
        issued_on=today, valid_until=valid_until, application=app)
    certificate.number = certificate_number(track.field.code, today.year, certificate.pk)
    Certificate.objects.filter(pk=certificate.pk).update(number=certificate.number)
    current = current_institution(app.applicant)
    if app.institution_id and (current is None or current.pk != app.institution_id):
        # Certified for the institution that reviewed the application: from now on they practise there.
        PracticingRelation.objects.filter(person=app.applicant, ended_on__isnull=True).update(ended_on=today)
        PracticingRelation.objects.create(person=app.applicant, institution=app.institution, started_on=today)
        audit_log(actor=None, action="practicing.started", obj=app.applicant,
                  after={"institution": app.institution_id, "application": app.number})
    audit_log(actor=None, action="certificate.issued", obj=certificate,
              after={"application": app.number, "valid_until": str(valid_until)})
    return certificate


def _years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _renew(certificate: Certificate, *, years: int, app: Application) -> None:
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if not requirements.renewal_window(certificate):
        raise ApplicationRefused(_("This certificate is no longer due for annual confirmation (it was renewed "
                                   "meanwhile): reject this application instead."))
    start = max(certificate.valid_until, timezone.localdate())
    valid_until = _years_later(start, years)
    CERTIFICATE.perform(certificate, "renew", actor=None, fields={"valid_until": valid_until},
                        audit_before={"valid_until": str(certificate.valid_until)},
                        audit_extra={"valid_until": str(valid_until), "application": app.number})


def _transfer(app: Application) -> None:
    """The person and every valid certificate they hold at the institution left move to the one joined."""
    today = timezone.localdate()
    PracticingRelation.objects.filter(person=app.applicant, ended_on__isnull=True).update(ended_on=today)
    PracticingRelation.objects.create(person=app.applicant, institution=app.target_institution, started_on=today)
    audit_log(actor=None, action="practicing.started", obj=app.applicant,
              after={"institution": app.target_institution_id, "left": app.institution_id, "application": app.number})
    moving = Certificate.objects.filter(holder=app.applicant, status=CertificateStatus.VALID,
                                        institution_id=app.institution_id)
    for certificate in [*moving.exclude(pk=app.certificate_id), app.certificate]:
        CERTIFICATE.perform(certificate, "transfer", actor=None, fields={"institution": app.target_institution},
                            audit_before={"institution": certificate.institution_id},
                            audit_extra={"institution": app.target_institution_id, "application": app.number})


def certificate_set_status(*, certificate: Certificate, actor, action: str, reason: str) -> Certificate:
    """暂停, 恢复, 撤销 with the reason (shown on the verification page as the status in words)."""
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        CERTIFICATE.perform(locked, action, actor=actor, reason=reason,
                            fields={"status_reason": reason, "status_changed_at": timezone.now()})
    return locked


def annual_candidates(person) -> list[Certificate]:
    """The person's certificates that annual confirmation can renew now (none: the page says so)."""
    return [c for c in Certificate.objects.filter(holder=person).select_related("track__field", "track__level")
            if requirements.renewal_window(c)]
