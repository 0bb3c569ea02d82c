"""The enrollment's states and actions (报名状态), declared for the workflow core: the only place that
says what may happen to an enrollment next and who may do it. Services carry the actions out with
`ENROLLMENT.perform(enrollment, "<action>", actor=…)`; pages ask `allowed_actions`."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.scoping import province_scope
from core.workflow import SYSTEM, Action, HasPerm, Relation, StaleState, Workflow

from . import notices
from .exceptions import InvalidChoice, TransitionRefused
from .models import (
    Enrollment,
    EnrollmentStatus,
    ExportStatus,
    RosterExport,
    ScoreReview,
    ScoreReviewStatus,
)

S = EnrollmentStatus

CANDIDATE = Relation("the candidate", lambda enrollment, user: enrollment.candidate_id == user.pk)


def _in_reviewer_province(enrollment, user) -> bool:
    scope = province_scope(user)
    return scope is None or enrollment.province == scope


def candidate_told_review_rejected(enrollment) -> None:
    notices.enrollment_review_rejected(enrollment=enrollment, note=enrollment.review_note)


REVIEWER = HasPerm("registration.change_enrollment") & Relation(
    "of the candidate's province (provincial authority)", _in_reviewer_province)

EDITABLE = (S.DRAFT, S.IN_REVIEW, S.REVIEW_REJECTED, S.CONFIRMED)


def _registration_open(enrollment) -> str | None:
    if not enrollment.exam.registration_is_open():
        return _("Registration for this exam is not open: nothing can be changed now.")
    return None

ENROLLMENT = Workflow(
    name="enrollment",
    model=Enrollment,
    states=EnrollmentStatus,
    refused=TransitionRefused,
    stale=TransitionRefused,
    stale_message=gettext_lazy("Your registration was changed meanwhile. Reload the page."),
    actions=[
        Action("confirm", gettext_lazy("Confirm the registration"), (S.DRAFT,), S.CONFIRMED, CANDIDATE,
               guard=_registration_open),
        Action("submit_for_review", gettext_lazy("Submit for qualification review"),
               (S.DRAFT, S.REVIEW_REJECTED), S.IN_REVIEW, CANDIDATE, guard=_registration_open),
        Action("edit", gettext_lazy("Edit the registration again"),
               (S.CONFIRMED, S.REVIEW_REJECTED), S.DRAFT, CANDIDATE, guard=_registration_open),
        Action("take_back", gettext_lazy("Take back the confirmation"), (S.IN_REVIEW,), S.DRAFT, CANDIDATE,
               guard=_registration_open),
        Action("approve_review", gettext_lazy("Approve qualification review"), (S.IN_REVIEW,), S.CONFIRMED,
               REVIEWER, review=True),
        Action("reject_review", gettext_lazy("Reject qualification review"), (S.IN_REVIEW,), S.REVIEW_REJECTED,
               REVIEWER, reason_required=True, review=True, notify=(candidate_told_review_rejected,)),
        Action("withdraw", gettext_lazy("Withdraw the registration"), EDITABLE, S.WITHDRAWN, CANDIDATE),
        # 网上支付: the order takes the seats (a late payment takes them again, as the system).
        Action("take_seats", gettext_lazy("Take the seats (order created)"), (S.CONFIRMED,), S.PENDING_PAYMENT,
               CANDIDATE | SYSTEM),
        Action("give_back_seats", gettext_lazy("Give the seats back (order cancelled or expired)"),
               (S.PENDING_PAYMENT,), S.CONFIRMED, CANDIDATE | SYSTEM),
        Action("complete", gettext_lazy("Registration complete (paid)"), (S.PENDING_PAYMENT,), S.ENROLLED, SYSTEM),
        Action("refund", gettext_lazy("Refund"), (S.ENROLLED,), S.REFUNDED, CANDIDATE | SYSTEM),
        # 更换考点城市 (D9): the paid seats move to another area in one step; the status stays.
        Action("change_city", gettext_lazy("Change the exam city"), (S.ENROLLED,), S.ENROLLED, CANDIDATE,
               guard=_registration_open, audit_action="enrollment.area_changed"),
    ],
)



# What a candidate may print or ask for: no change of state, but one rule that the pages, the
# selectors and the PDF views all ask instead of repeating it.
FORM_PRINTABLE = (S.CONFIRMED, S.IN_REVIEW, S.PENDING_PAYMENT, S.ENROLLED)


def may_print_form(enrollment) -> bool:
    """打印报名表: once the registration is confirmed (and while it stands)."""
    return enrollment.status in FORM_PRINTABLE


def may_print_tickets(enrollment, tickets) -> bool:
    """打印准考证: a paid registration with allocated tickets, in the printing window."""
    return bool(tickets) and enrollment.status == S.ENROLLED and enrollment.exam.ticket_printing_is_open()


def may_request_score_review(enrollment, tickets) -> bool:
    """申请成绩复核: with a ticket, in the review window."""
    return bool(tickets) and enrollment.exam.score_review_is_open()


def transition(enrollment: Enrollment, new: str, *, actor, reason: str = "", **fields) -> None:
    """The action that moves `enrollment` from its current state to `new`, carried out as `actor`
    (for callers that know the target rather than the action's name)."""
    candidates = [a for a in ENROLLMENT.actions_to(new) if enrollment.status in a.source]
    if not candidates:
        raise TransitionRefused(_("This registration cannot change from “%(old)s” to “%(new)s”.")
                                % {"old": enrollment.get_status_display(), "new": new})
    ENROLLMENT.perform(enrollment, candidates[0].name, actor=actor, reason=reason, fields=fields)


# --------------------------------------------------------------------------- score reviews (成绩复核)

SR = ScoreReviewStatus
# Who decides a review: holders of registration.change_scorereview (exam administrators; see accounts.roles).
SCORE_REVIEWER = HasPerm("registration.change_scorereview")

SCORE_REVIEW = Workflow(
    name="score_review",
    model=ScoreReview,
    states=ScoreReviewStatus,
    refused=InvalidChoice,
    stale=StaleState,
    stale_message=gettext_lazy("This review was decided meanwhile. Reload the page."),
    actions=[
        Action("uphold", gettext_lazy("Confirm the score"), (SR.REQUESTED,), SR.UPHELD, SCORE_REVIEWER, review=True),
        Action("correct", gettext_lazy("Correct the score"), (SR.REQUESTED,), SR.CORRECTED, SCORE_REVIEWER,
               review=True),
    ],
)


# --------------------------------------------------------------------------- roster exports

EX = ExportStatus

ROSTER_EXPORT = Workflow(
    name="roster_export",
    model=RosterExport,
    states=ExportStatus,
    stale_message=gettext_lazy("This export was finished meanwhile."),
    actions=[
        # The worker (registration.tasks.export_roster) writes the file, then records the outcome.
        Action("finish", gettext_lazy("File ready"), (EX.QUEUED,), EX.DONE, SYSTEM),
        Action("fail", gettext_lazy("Export failed"), (EX.QUEUED,), EX.FAILED, SYSTEM),
    ],
)
