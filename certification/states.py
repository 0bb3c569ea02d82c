"""The certification chains (SPEC G1–G8, seed 002 §3), declared for the workflow core.

One `Application` model carries five kinds of application; its `kind` decides the chain through
the guards below:

- 人员注册 and 年度确认: submit → the institution's first review → payment (when the track has a
  fee) → association review → (expert evaluation, when staff assign one) → association decision.
- 人员转换执业机构: submit → the institution being left → the institution being joined → association.
- 申诉: submit → association → (expert evaluation) → decision fed back. 投诉: submit → decision.

Every reviewer may return the application for rectification (退回整改) with a reason, or reject it;
the applicant edits and submits again (a new round). `certification.services` carries the actions
out (`APPLICATION.perform(application, "<action>", actor=…)`) and does what follows (a certificate
issued, renewed or moved); pages and admin ask `allowed_actions`."""
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.workflow import SYSTEM, Action, HasPerm, Notice, Relation, StaleState, Workflow, assigned

from .exceptions import ApplicationRefused, CertificateRefused
from .models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Certificate,
    CertificateStatus,
    PaymentVoucher,
    VoucherStatus,
)

S = ApplicationStatus
K = ApplicationKind
STAFF = HasPerm("certification.change_application")
EVALUATION_STAGE = "expert_evaluation"


def _of_institution(institution_id, user) -> bool:
    return bool(institution_id) and user.kind == "institution" and user.institution_id == institution_id


APPLICANT = Relation("the applicant", lambda app, user: app.applicant_id == user.pk)
FIRST_INSTITUTION = Relation("a user of the applicant's institution (the one left, for a transfer)",
                             lambda app, user: _of_institution(app.institution_id, user))
JOINED_INSTITUTION = Relation("a user of the institution joined",
                              lambda app, user: _of_institution(app.target_institution_id, user))
EXPERT = assigned(EVALUATION_STAGE, "the assigned expert")


def _stage_reviewer(app, user) -> bool:
    """Whoever reviews the application's current stage (for returns and rejections)."""
    if app.status in (S.INSTITUTION_REVIEW, S.TRANSFER_OUT_REVIEW):
        return _of_institution(app.institution_id, user)
    if app.status == S.TRANSFER_IN_REVIEW:
        return _of_institution(app.target_institution_id, user)
    return user.has_perm("certification.change_application")


STAGE_REVIEWER = Relation("the reviewer of the current stage (institution, or association staff)", _stage_reviewer)


def _kinds(*kinds):
    allowed = set(kinds)

    def guard(app) -> str | None:
        if app.kind not in allowed:
            return _("This does not apply to a %(kind)s.") % {"kind": app.get_kind_display()}
        return None

    return guard


def _submittable(*kinds):
    """The kind fits, and what the application must hold is there (requirements are checked by the
    service, which names every unmet one)."""
    kind_guard = _kinds(*kinds)

    def guard(app) -> str | None:
        from . import requirements

        return kind_guard(app) or requirements.first_problem(app)

    return guard


def _no_voucher_waiting(app) -> str | None:
    """A waiting voucher is confirmed (or rejected) on its own: receiving the payment beside it would
    leave the voucher waiting for good and its invoice unnumbered."""
    if app.vouchers.filter(status="submitted").exists():
        return _("A payment voucher waits for confirmation: confirm or reject the voucher instead.")
    return None


def _detail_url(app) -> str:
    return reverse("certification:application-detail", args=[app.pk])


def _params(app) -> dict:
    # The kind's label stays lazy: each reader gets it in their own language.
    return {"number": app.number or "", "kind": ApplicationKind(app.kind).label, "reason": _last_reason(app)}


def _last_reason(app) -> str:
    from core.models import Review

    review = Review.objects.filter(object_id=str(app.pk), content_type__model="application").order_by("-pk").first()
    return review.reason if review else ""


def _institution_users(institution_id):
    from accounts.models import User

    return User.objects.filter(institution_id=institution_id, kind="institution", is_active=True)


TOLD_APPLICANT_RETURNED = Notice(
    recipients=lambda app: [app.applicant], kind="certification.returned", url=_detail_url, params=_params,
    subject=gettext_noop("Application %(number)s returned for rectification"),
    body=gettext_noop("Your %(kind)s %(number)s was returned for rectification.\nReason: %(reason)s\n"
                      "Edit it under My items and submit it again."))
TOLD_APPLICANT_REJECTED = Notice(
    recipients=lambda app: [app.applicant], kind="certification.rejected", url=_detail_url, params=_params,
    subject=gettext_noop("Application %(number)s not approved"),
    body=gettext_noop("Your %(kind)s %(number)s was not approved.\nReason: %(reason)s"))
TOLD_APPLICANT_APPROVED = Notice(
    recipients=lambda app: [app.applicant], kind="certification.approved", url=_detail_url, params=_params,
    subject=gettext_noop("Application %(number)s approved"),
    body=gettext_noop("Your %(kind)s %(number)s was approved."))
TOLD_APPLICANT_DECIDED = Notice(
    recipients=lambda app: [app.applicant], kind="certification.decided", url=_detail_url, params=_params,
    subject=gettext_noop("%(kind)s %(number)s decided"),
    body=gettext_noop("The association decided your %(kind)s %(number)s:\n%(reason)s"))
TOLD_APPLICANT_TO_PAY = Notice(
    recipients=lambda app: [app.applicant], kind="certification.payment_due", url=_detail_url, params=_params,
    subject=gettext_noop("Application %(number)s: please pay the fee"),
    body=gettext_noop("Your institution has reviewed your %(kind)s %(number)s. Pay the fee under My items to "
                      "send it on to the association."))
def _review_url(app) -> str:
    return reverse("certification:review-detail", args=[app.pk])


TOLD_INSTITUTION = Notice(
    recipients=lambda app: _institution_users(app.institution_id), kind="certification.to_review",
    url=_review_url, params=_params,
    subject=gettext_noop("%(kind)s %(number)s waits for your review"),
    body=gettext_noop("%(kind)s %(number)s was submitted and waits for your institution's review."))
TOLD_JOINED_INSTITUTION = Notice(
    recipients=lambda app: _institution_users(app.target_institution_id), kind="certification.to_review",
    url=_review_url, params=_params,
    subject=gettext_noop("%(kind)s %(number)s waits for your review"),
    body=gettext_noop("%(kind)s %(number)s was submitted and waits for your institution's review."))

REVIEW_STAGES = (S.INSTITUTION_REVIEW, S.TRANSFER_OUT_REVIEW, S.TRANSFER_IN_REVIEW, S.ASSOCIATION_REVIEW,
                 S.ASSOCIATION_DECISION)
CERTIFYING = (K.REGISTRATION, K.ANNUAL, K.TRANSFER)
CASES = (K.APPEAL, K.COMPLAINT)

APPLICATION = Workflow(
    name="application",
    model=Application,
    states=ApplicationStatus,
    refused=ApplicationRefused,
    stale=StaleState,
    stale_message=gettext_lazy("This application was changed meanwhile. Reload the page."),
    actions=[
        Action("submit", gettext_lazy("Submit"), (S.DRAFT, S.RETURNED), S.INSTITUTION_REVIEW, APPLICANT,
               guard=_submittable(K.REGISTRATION, K.ANNUAL), notify=(TOLD_INSTITUTION,)),
        Action("submit_transfer", gettext_lazy("Submit"), (S.DRAFT, S.RETURNED), S.TRANSFER_OUT_REVIEW, APPLICANT,
               guard=_submittable(K.TRANSFER), notify=(TOLD_INSTITUTION,)),
        Action("submit_case", gettext_lazy("Submit"), (S.DRAFT, S.RETURNED), S.ASSOCIATION_REVIEW, APPLICANT,
               guard=_submittable(*CASES)),
        Action("institution_approve", gettext_lazy("Approve (institution review)"), (S.INSTITUTION_REVIEW,),
               S.PAYMENT, FIRST_INSTITUTION, review=True, notify=(TOLD_APPLICANT_TO_PAY,)),
        Action("transfer_out_approve", gettext_lazy("Agree to the transfer (institution left)"),
               (S.TRANSFER_OUT_REVIEW,), S.TRANSFER_IN_REVIEW, FIRST_INSTITUTION, review=True,
               notify=(TOLD_JOINED_INSTITUTION,)),
        Action("transfer_in_approve", gettext_lazy("Agree to the transfer (institution joined)"),
               (S.TRANSFER_IN_REVIEW,), S.ASSOCIATION_REVIEW, JOINED_INSTITUTION, review=True),
        # Paid online (the payment platform), confirmed by staff (a voucher), or nothing to pay (the system).
        Action("confirm_payment", gettext_lazy("Payment received"), (S.PAYMENT,), S.ASSOCIATION_REVIEW,
               SYSTEM | STAFF, guard=_no_voucher_waiting),
        # Staff give it to an expert (certification.services.expert_assign makes the assignment).
        Action("send_to_expert", gettext_lazy("Send to an expert"), (S.ASSOCIATION_REVIEW,), S.EXPERT_EVALUATION,
               STAFF, guard=_kinds(K.REGISTRATION, K.ANNUAL, K.TRANSFER, K.APPEAL)),
        Action("evaluate", gettext_lazy("Submit the evaluation"), (S.EXPERT_EVALUATION,), S.ASSOCIATION_DECISION,
               EXPERT, review=True),
        Action("approve", gettext_lazy("Approve"), (S.ASSOCIATION_REVIEW, S.ASSOCIATION_DECISION), S.APPROVED,
               STAFF, guard=_kinds(*CERTIFYING), review=True, notify=(TOLD_APPLICANT_APPROVED,)),
        Action("decide", gettext_lazy("Decide and tell the applicant"), (S.ASSOCIATION_REVIEW, S.ASSOCIATION_DECISION),
               S.CLOSED, STAFF, guard=_kinds(*CASES), reason_required=True, review=True,
               notify=(TOLD_APPLICANT_DECIDED,)),
        Action("return", gettext_lazy("Return for rectification"), REVIEW_STAGES, S.RETURNED, STAGE_REVIEWER,
               reason_required=True, review=True, notify=(TOLD_APPLICANT_RETURNED,)),
        # Waiting for payment is no dead end: the association may reject it, the applicant withdraw it.
        Action("reject", gettext_lazy("Reject"), (*REVIEW_STAGES, S.PAYMENT), S.REJECTED, STAGE_REVIEWER,
               reason_required=True, review=True, notify=(TOLD_APPLICANT_REJECTED,)),
        Action("withdraw", gettext_lazy("Withdraw"), (S.DRAFT, S.RETURNED, S.PAYMENT), S.WITHDRAWN, APPLICANT),
    ],
)

C = CertificateStatus
CERTIFICATE_STAFF = HasPerm("certification.change_certificate")

CERTIFICATE = Workflow(
    name="certificate",
    model=Certificate,
    states=CertificateStatus,
    refused=CertificateRefused,
    stale=StaleState,
    stale_message=gettext_lazy("This certificate was changed meanwhile. Reload the page."),
    actions=[
        Action("suspend", gettext_lazy("Suspend"), (C.VALID,), C.SUSPENDED, CERTIFICATE_STAFF, reason_required=True),
        Action("reinstate", gettext_lazy("Reinstate"), (C.SUSPENDED,), C.VALID, CERTIFICATE_STAFF,
               reason_required=True),
        Action("revoke", gettext_lazy("Revoke"), (C.VALID, C.SUSPENDED), C.REVOKED, CERTIFICATE_STAFF,
               reason_required=True),
        # An approved annual confirmation extends it; an approved transfer moves it (services, as the system).
        Action("renew", gettext_lazy("Renewed (annual confirmation)"), (C.VALID,), C.VALID, SYSTEM,
               audit_action="certificate.renewed"),
        Action("transfer", gettext_lazy("Moved to another institution"), (C.VALID,), C.VALID, SYSTEM,
               audit_action="certificate.transferred"),
    ],
)

V = VoucherStatus
VOUCHER_STAFF = HasPerm("certification.change_paymentvoucher")

TOLD_VOUCHER_REJECTED = Notice(
    recipients=lambda voucher: [voucher.application.applicant], kind="certification.voucher_rejected",
    url=lambda voucher: _detail_url(voucher.application),
    params=lambda voucher: {"number": voucher.application.number or "", "reason": voucher.reason},
    subject=gettext_noop("Payment voucher for %(number)s not accepted"),
    body=gettext_noop("Your payment voucher for %(number)s was not accepted.\nReason: %(reason)s\n"
                      "Upload another one under My items."))

VOUCHER = Workflow(
    name="payment_voucher",
    model=PaymentVoucher,
    states=VoucherStatus,
    refused=ApplicationRefused,
    stale=StaleState,
    stale_message=gettext_lazy("This voucher was changed meanwhile. Reload the page."),
    actions=[
        # Confirming it is the application's confirm_payment as well (certification.services).
        Action("confirm", gettext_lazy("Confirm the payment"), (V.SUBMITTED,), V.CONFIRMED, VOUCHER_STAFF,
               review=True),
        Action("reject", gettext_lazy("Reject the voucher"), (V.SUBMITTED,), V.REJECTED, VOUCHER_STAFF,
               reason_required=True, review=True, notify=(TOLD_VOUCHER_REJECTED,)),
    ],
)
