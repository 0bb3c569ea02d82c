"""The order's and the refund's states and actions (订单状态, 退费状态), declared for the workflow core:
the only place that says what may happen to them next and who may do it. payments.services carries
the actions out with `ORDER.perform(order, "<action>", actor=…)` / `REFUND.perform(…)`; admin asks
`allowed_actions`.

A payment received (payments.models.Payment) has no states: it is an append-only row per platform
transaction with its outcome (credited, credited late, refunded late, rejected), written once by
`payment_record`; what happens next is an order action or a refund. An invoice is issued once (with
the payment) and voided with the refund request (INVOICE below)."""
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.workflow import SYSTEM, Action, HasPerm, Relation, Workflow

from .exceptions import (
    InvoiceChanged,
    InvoiceNotChangeable,
    OrderChanged,
    OrderNotPayable,
    RefundChanged,
    RefundNotAllowed,
)
from .models import (
    Invoice,
    InvoiceStatus,
    Order,
    OrderStatus,
    Refund,
    RefundKind,
    RefundStatus,
)

O = OrderStatus
R = RefundStatus

CANDIDATE = Relation("the candidate", lambda obj, user: obj.candidate_id == user.pk)


def refund_window_open(exam, now=None) -> bool:
    now = now or timezone.now()
    return bool(exam.refund_opens_at and exam.refund_closes_at and exam.refund_opens_at <= now < exam.refund_closes_at)


def _refund_allowed(order) -> str | None:
    """每人只有一次退费机会, in the refund window."""
    if not refund_window_open(order.exam):
        return _("Refunds can only be requested in the refund window.")
    if Refund.objects.filter(candidate_id=order.candidate_id, exam_id=order.exam_id, kind=RefundKind.CANDIDATE).exists():
        return _("You have already used your one refund for this exam.")
    return None

ORDER = Workflow(
    name="order",
    model=Order,
    states=OrderStatus,
    refused=OrderNotPayable,
    stale=OrderChanged,
    stale_message=OrderChanged.default_message,
    actions=[
        # The payment platform (its notification, or the reconciliation query): seats held become sold.
        Action("pay", gettext_lazy("Paid"), (O.PENDING,), O.PAID, SYSTEM),
        Action("cancel", gettext_lazy("Cancel the order"), (O.PENDING,), O.CANCELLED, CANDIDATE),
        Action("expire", gettext_lazy("Unpaid in time"), (O.PENDING,), O.EXPIRED, SYSTEM),
        # Money that arrives after the order closed, while the same seats are still free.
        Action("pay_late", gettext_lazy("Paid late (seats taken again)"), (O.CANCELLED, O.EXPIRED), O.PAID, SYSTEM),
        Action("start_refund", gettext_lazy("Request the refund"), (O.PAID,), O.REFUNDING, CANDIDATE,
               guard=_refund_allowed),
        Action("complete_refund", gettext_lazy("Refunded by the platform"), (O.REFUNDING,), O.REFUNDED, SYSTEM),
    ],
)

REFUND = Workflow(
    name="refund",
    model=Refund,
    states=RefundStatus,
    refused=RefundNotAllowed,
    stale=RefundChanged,
    stale_message=RefundChanged.default_message,
    actions=[
        # The worker (payments.tasks.process_refund) sends it; a failed one is sent again by the beat job.
        Action("process", gettext_lazy("Send to the payment platform"), (R.REQUESTED, R.FAILED), R.PROCESSING,
               SYSTEM),
        # A worker stopped half-way (its row is left "processing"): another takes over; the platform's
        # refund is idempotent per request number, so no money moves twice.
        Action("resume", gettext_lazy("Send again after a stopped worker"), (R.PROCESSING,), R.PROCESSING, SYSTEM),
        Action("succeed", gettext_lazy("Refunded by the platform"), (R.PROCESSING,), R.REFUNDED, SYSTEM),
        Action("fail", gettext_lazy("Refused or unreachable platform"), (R.PROCESSING,), R.FAILED, SYSTEM),
        # Staff ask for a failed refund to be sent now: it is queued for the worker, never sent in the request.
        Action("retry", gettext_lazy("Send the failed refund again"), (R.FAILED,), R.REQUESTED,
               HasPerm("payments.change_refund")),
    ],
)

INVOICE = Workflow(
    name="invoice",
    model=Invoice,
    states=InvoiceStatus,
    refused=InvoiceNotChangeable,
    stale=InvoiceChanged,
    stale_message=InvoiceChanged.default_message,
    actions=[
        # With the refund request (payments.services.refund_request): the money goes back, the invoice is void.
        Action("void", gettext_lazy("Voided with the refund"), (InvoiceStatus.ISSUED,), InvoiceStatus.VOIDED, SYSTEM),
    ],
)
