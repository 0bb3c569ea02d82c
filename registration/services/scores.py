"""成绩 and 成绩复核: staff import scores (all or nothing, with a report); candidates request a review."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from exams.models import Exam

from ..exceptions import InvalidChoice, NotAllowed
from ..models import AdmissionTicket, Score, ScoreReview, ScoreReviewStatus
from ..states import SCORE_REVIEW

IMPORT_PERMISSION = "registration.add_score"
HEADERS = {"ticket": ("准考证号", "ticket_number", "ticket"), "subject": ("科目", "subject"),
           "score": ("成绩", "score")}


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, problem)

    @property
    def ok(self) -> bool:
        return not self.errors


def _column(row: dict, key: str) -> str:
    for name in HEADERS[key]:
        if name in row and row[name] is not None:
            return str(row[name]).strip()
    return ""


def scores_import(*, exam: Exam, actor, rows) -> ImportReport:
    """Validate every row first (unknown ticket, subject mismatch, duplicate, out of range); import
    only when all rows are good, in one transaction. `actor`: a holder of registration.add_score
    (exam administrators), or None for the system."""
    if actor is not None and not actor.has_perm(IMPORT_PERMISSION):
        raise NotAllowed(_("Importing scores needs the permission to add scores (exam administrators)."))
    report = ImportReport()
    tickets = {t.number: t for t in AdmissionTicket.objects.filter(enrollment__exam=exam, void=False)
               .select_related("subject")}
    seen: dict[str, int] = {}
    values = []
    for line, row in enumerate(rows, start=2):  # line 1 holds the headers
        report.rows += 1
        number, subject, raw = _column(row, "ticket"), _column(row, "subject"), _column(row, "score")
        ticket = tickets.get(number)
        if ticket is None:
            report.errors.append((line, _("Unknown admission ticket number %(n)s.") % {"n": number or "—"}))
            continue
        if subject and subject not in (ticket.subject.name, ticket.subject.code):
            report.errors.append((line, _("Ticket %(n)s is for %(s)s, not %(x)s.")
                                  % {"n": number, "s": ticket.subject.name, "x": subject}))
            continue
        if number in seen:
            report.errors.append((line, _("Ticket %(n)s appears again (first on line %(l)d).")
                                  % {"n": number, "l": seen[number]}))
            continue
        seen[number] = line
        try:
            value = Decimal(raw)
        except InvalidOperation:
            report.errors.append((line, _("“%(v)s” is not a number.") % {"v": raw}))
            continue
        if not value.is_finite() or not (0 <= value <= 100) or value != value.quantize(Decimal("0.1")):
            report.errors.append((line, _("Score %(v)s is outside 0–100 or has more than one decimal.")
                                  % {"v": raw}))
            continue
        values.append((ticket, value))
    if report.errors:
        return report
    with transaction.atomic():
        for ticket, value in values:
            Score.objects.update_or_create(ticket=ticket, defaults={"value": value})
        report.imported = len(values)
        audit_log(actor=actor, action="scores.imported", obj=exam, after={"rows": report.rows})
    return report


def score_review_request(*, candidate, exam: Exam, ticket_number: str, reason: str) -> ScoreReview:
    """Refused when the exam has not taken place, the candidate did not sit it, or outside the window."""
    if timezone.localdate() <= exam.exam_ends_on:
        raise InvalidChoice(_("This exam has not taken place yet."), field="exam")
    if not exam.score_review_is_open():
        raise InvalidChoice(_("Score reviews can only be requested in the review window."), field="exam")
    ticket = AdmissionTicket.objects.filter(number=ticket_number.strip(), enrollment__exam=exam,
                                            enrollment__candidate=candidate, void=False).first()
    if ticket is None:
        raise InvalidChoice(_("You did not sit this exam with this admission ticket number."), field="ticket_number")
    if not hasattr(ticket, "score"):
        raise InvalidChoice(_("There is no score for this ticket yet."), field="ticket_number")
    if not reason.strip():
        raise InvalidChoice(_("Give the reason for the review."), field="reason")
    with transaction.atomic():
        if ScoreReview.objects.filter(ticket=ticket, status=ScoreReviewStatus.REQUESTED).exists():
            raise InvalidChoice(_("A review of this score is already under way."), field="ticket_number")
        review = ScoreReview.objects.create(ticket=ticket, candidate=candidate, reason=reason.strip())
        audit_log(actor=candidate, action="score_review.requested", obj=review, after={"ticket": ticket.number})
    return review


def score_review_decide(*, review: ScoreReview, actor, outcome: str, corrected: Decimal | None = None) -> None:
    """Staff confirm the score or correct it (registration.states.SCORE_REVIEW); the candidate sees the outcome."""
    with transaction.atomic():
        locked = ScoreReview.objects.select_for_update().get(pk=review.pk)
        score = locked.ticket.score.value
        correcting = corrected is not None and corrected != score
        if correcting and not 0 <= corrected <= 100:
            raise InvalidChoice(_("A score is between 0 and 100."), field="corrected")
        # First the decision (refused when already decided or not allowed), then the score it corrects.
        SCORE_REVIEW.perform(locked, "correct" if correcting else "uphold", actor=actor, reason=outcome,
                             fields={"outcome": outcome, "new_value": corrected if correcting else None,
                                     "decided_by": actor},
                             audit_before={"score": score},
                             audit_extra={"score": corrected if corrected is not None else score, "outcome": outcome})
        if correcting:
            Score.objects.filter(ticket=locked.ticket).update(value=corrected)
    review.refresh_from_db()
