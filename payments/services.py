"""Orders, payments, refunds and invoices: money and seats always move together, in one
transaction, through registration.services (the only way seats move). Gateways are called
outside transactions; what they answer is recorded in a short atomic block."""
from __future__ import annotations

import datetime
import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import DomainError
from core.notifications import notified
from registration import selectors as registration_selectors
from registration import services as registration_services
from registration.models import Enrollment, EnrollmentStatus

from . import notices, providers
from .exceptions import (
    OrderChanged,
    OrderNotPayable,
    PaymentRejected,
    RefundChanged,
    RefundNotAllowed,
)
from .models import (
    Invoice,
    InvoiceCounter,
    InvoiceStatus,
    NotificationOutcome,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Refund,
    RefundKind,
    RefundStatus,
)
from .states import INVOICE, ORDER, REFUND, refund_window_open

logger = logging.getLogger(__name__)
O = OrderStatus
RECONCILE_AFTER = datetime.timedelta(minutes=3)


def _order_number(order_id: int) -> str:
    """The day and the row id: unique by construction, even for thousands of orders in one second."""
    return f"{timezone.localdate():%Y%m%d}{order_id:012d}"


# --------------------------------------------------------------------------- orders

def order_create(*, enrollment: Enrollment, actor, provider: str) -> Order:
    """网上支付 → 支付: take the seats and create the order, or return the unpaid one (double click)."""
    if provider not in providers.enabled():
        raise OrderNotPayable(_("This payment platform is not available."))
    try:
        with transaction.atomic():
            locked = registration_services.enrollment_lock(enrollment)
            pending = Order.objects.filter(enrollment=locked, status=O.PENDING)
            if pending.exists():  # a double click: the unpaid order, read in full only then
                return pending.order_by("pk").first()
            choices = registration_selectors.choices_of(locked)
            quota_ids = None
            if locked.status == EnrollmentStatus.CONFIRMED:  # sold out: refuse before writing
                quota_ids = registration_services.enrollment_seats_check(enrollment=locked, choices=choices)
            order = Order.objects.create(
                number=uuid.uuid4().hex, enrollment=locked, candidate=locked.candidate,
                exam=locked.exam, provider=provider, amount=registration_selectors.total_fee(choices),
                area_id=locked.area_id,
                expires_at=timezone.now() + datetime.timedelta(minutes=settings.ORDER_UNPAID_MINUTES))
            order.number = _order_number(order.pk)
            Order.objects.filter(pk=order.pk).update(number=order.number)
            OrderLine.objects.bulk_create([OrderLine(order=order, sitting=c.sitting, subject=c.subject,
                                                     fee=c.subject.fee) for c in choices])
            audit_log(actor=actor, action="order.created", obj=order,
                      after={"amount": order.amount, "provider": provider, "enrollment": enrollment.pk})
            # Last: the seats (quota row locks held only until the commit); failing here undoes the order.
            registration_services.enrollment_seats_take(enrollment=locked, actor=actor, quota_ids=quota_ids,
                                                        locked=True)
    except registration_services.SeatsExhausted:
        # The last seat went to another candidate between the check and the take: everything above
        # was rolled back; say which sittings are full now and where seats are left.
        raise registration_services.enrollment_seats_refusal(locked) from None
    enrollment.status = locked.status
    return order


def _close(order: Order, action: str, *, actor, reason: str) -> bool:
    """Cancel or expire an unpaid order (payments.states.ORDER) and give its seats back; False when a
    payment, a cancel or the expiry came first."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status not in ORDER.action(action).source:
            return False
        try:
            ORDER.perform(locked, action, actor=actor, reason=reason, fields={"closed_at": timezone.now()})
        except OrderChanged:  # under the row lock only a database without row locks gets here
            return False
        registration_services.enrollment_seats_give_back(enrollment=locked.enrollment, actor=actor, reason=reason)
    order.refresh_from_db()
    return True


def order_cancel(*, order: Order, actor) -> None:
    """取消订单: an unpaid order gives its seats back; the steps are editable again."""
    if not _close(order, "cancel", actor=actor, reason="cancelled by the candidate"):
        raise OrderNotPayable(_("Only an unpaid order can be cancelled."))


def orders_expire_due() -> int:
    """Beat: unpaid orders past their time give their seats back, each exactly once."""
    expired = 0
    due = Order.objects.filter(status=O.PENDING, expires_at__lt=timezone.now()).values_list("pk", flat=True)
    for order_id in list(due[:1000]):
        if _close(Order(pk=order_id), "expire", actor=None, reason="unpaid in time"):
            expired += 1
    return expired


def orders_warn_expiring() -> int:
    """Beat: ORDER_EXPIRY_NOTICE_MINUTES before an unpaid order expires its candidate is told, once
    per order (the row lock makes a second run wait, then see the first one's notice)."""
    now = timezone.now()
    soon = now + datetime.timedelta(minutes=settings.ORDER_EXPIRY_NOTICE_MINUTES)
    due = (Order.objects.filter(status=O.PENDING, expires_at__gt=now, expires_at__lte=soon)
           .filter(~notified(Order, notices.ORDER_EXPIRING)).values_list("pk", flat=True))
    told = 0
    for order_id in list(due[:1000]):
        with transaction.atomic():
            order = (Order.objects.select_for_update(of=("self",)).select_related("candidate", "exam")
                     .filter(pk=order_id, status=O.PENDING).first())
            told += bool(order and notices.order_expiring(order=order))
    return told


# --------------------------------------------------------------------------- payments


def _issue_invoice(order: Order, *, actor) -> Invoice | None:
    enrollment = order.enrollment
    if not enrollment.invoice_wanted:
        return None
    year = timezone.localdate().year
    counter, _created = InvoiceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    invoice = Invoice.objects.create(
        number=f"FP{year}{counter.last:08d}", order=order, kind=enrollment.invoice_type,
        title=enrollment.invoice_title or enrollment.candidate.name, tax_number=enrollment.invoice_tax_number,
        amount=order.amount)
    audit_log(actor=actor, action="invoice.issued", obj=invoice, after={"order": order.number, "amount": order.amount})
    return invoice


def _still_what_was_ordered(order: Order) -> bool:
    """The enrollment still has the order's area and subjects (a late payment may only buy those)."""
    enrollment = order.enrollment
    ordered = set(order.lines.values_list("sitting_id", "subject_id"))
    current = set(enrollment.choices.values_list("sitting_id", "subject_id"))
    return enrollment.area_id == order.area_id and ordered == current


def payment_record(*, provider: str, trade_no: str, order_number: str, amount: Decimal, source: str) -> Payment:
    """Credit money a platform says it received; idempotent per platform transaction number.

    The amount must equal the order's. A payment for an order that was cancelled or expired takes
    the seats again if they are free, otherwise it is refunded automatically."""
    if not trade_no:
        raise PaymentRejected(_("No transaction number."))
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("enrollment").filter(number=order_number).first()
        if order is None:
            raise PaymentRejected(_("Unknown order."))
        if order.provider != provider:
            raise PaymentRejected(_("The order was not paid through this platform."))
        existing = Payment.objects.filter(provider=provider, trade_no=trade_no).first()
        if existing:
            return existing  # a replay: nothing changes, the platform still gets its "success"
        if Decimal(amount) != order.amount:
            raise PaymentRejected(_("The amount paid does not match the order."))
        outcome = NotificationOutcome.CREDITED  # a pending order: its held seats are sold at the end
        if order.status in (O.CANCELLED, O.EXPIRED) and not _still_what_was_ordered(order):
            outcome = NotificationOutcome.LATE_REFUNDED  # the candidate chose again meanwhile
        elif order.status in (O.CANCELLED, O.EXPIRED):
            try:
                with transaction.atomic():
                    registration_services.enrollment_seats_take(enrollment=order.enrollment, actor=None)
                    registration_services.enrollment_seats_sell(enrollment=order.enrollment, actor=None)
                outcome = NotificationOutcome.LATE_CREDITED
            except DomainError:
                outcome = NotificationOutcome.LATE_REFUNDED
        elif order.status != O.PENDING:  # already paid by another transaction (paid twice): give this money back
            outcome = NotificationOutcome.LATE_REFUNDED
        try:
            with transaction.atomic():
                payment = Payment.objects.create(provider=provider, trade_no=trade_no, order=order, amount=amount,
                                                 outcome=outcome, source=source)
        except IntegrityError:  # the same transaction number on another order: not ours to credit
            raise PaymentRejected(_("This transaction was already recorded for another order."))
        if outcome == NotificationOutcome.LATE_REFUNDED:
            note = (_("A second payment for this already paid order was received: it is refunded in full.")
                    if order.status in (O.PAID, O.REFUNDING, O.REFUNDED) else
                    _("The payment arrived after the order had closed and no seat was free: it is refunded in full."))
            Order.objects.filter(pk=order.pk).update(late_payment_note=note[:200])
            _refund_create(order=order, payment=payment, kind=RefundKind.LATE_PAYMENT, actor=None)
        else:
            ORDER.perform(order, "pay" if outcome == NotificationOutcome.CREDITED else "pay_late", actor=None,
                          reason=source, fields={"paid_at": timezone.now(), "provider_trade_no": trade_no})
        audit_log(actor=None, action=f"payment.{outcome}", obj=order,
                  after={"trade_no": trade_no, "amount": amount, "source": source})
        if outcome == NotificationOutcome.CREDITED:
            # After the other writes, so that the hot quota rows stay locked only briefly ...
            registration_services.enrollment_seats_sell(enrollment=order.enrollment, actor=None)
        if outcome != NotificationOutcome.LATE_REFUNDED:
            # ... but before the invoice counter, as on the late path (seats taken and sold above):
            # every payment locks the order, the enrollment, the quota rows, then the counter, so
            # two payments never wait for each other's locks.
            _issue_invoice(order, actor=None)
    return payment


def payment_notify(*, provider: str, data: dict) -> Payment | None:
    """An asynchronous notification: signature checked first, then credited once."""
    state = providers.get(provider).verify_notification(data)  # raises InvalidSignature
    if not state.paid:
        return None
    return payment_record(provider=provider, trade_no=state.trade_no, order_number=state.order_number,
                          amount=state.amount, source="notify")


def payment_check(*, order: Order) -> Order:
    """支付完毕 and the reconciliation job: ask the platform instead of trusting the browser."""
    if order.status not in (O.PENDING, O.EXPIRED, O.CANCELLED):
        return order
    state = providers.get(order.provider).query(order=order)  # no transaction open during the call
    if state.paid and state.trade_no:
        payment_record(provider=order.provider, trade_no=state.trade_no, order_number=order.number,
                       amount=state.amount, source="query")
    order.refresh_from_db()
    return order


def orders_reconcile() -> int:
    """Beat: unpaid orders older than a few minutes are queried, in case a notification was lost."""
    credited = 0
    cutoff = timezone.now() - RECONCILE_AFTER
    recent = timezone.now() - datetime.timedelta(days=1)
    # Closed orders too, for half an hour: money paid on the platform just before a cancel or the
    # expiry must still be found (and credited or refunded).
    stale = Order.objects.filter(
        Q(status=O.PENDING, created_at__gt=recent)
        | Q(status__in=[O.EXPIRED, O.CANCELLED], closed_at__gt=timezone.now() - datetime.timedelta(minutes=30)),
        created_at__lt=cutoff)
    for order in stale[:500]:
        try:
            if payment_check(order=order).status == O.PAID:
                credited += 1
        except (providers.ProviderError, providers.InvalidSignature, DomainError) as exc:
            logger.warning("reconciliation query failed", extra={"order": order.number, "error": str(exc)[:200]})
    return credited


# --------------------------------------------------------------------------- change of city


def change_area(*, enrollment: Enrollment, actor, area_id: int) -> None:
    """更换考点城市 (D9): one atomic move of the paid seats (registration.services does the work)."""
    registration_services.enrollment_change_area(enrollment=enrollment, actor=actor, area_id=area_id)


# --------------------------------------------------------------------------- refunds


def _refund_create(*, order: Order, payment: Payment, kind: str, actor) -> Refund:
    refund = Refund.objects.create(payment=payment, order=order, candidate=order.candidate, exam=order.exam,
                                   kind=kind, amount=payment.amount)
    audit_log(actor=actor, action="refund.requested", obj=refund, after={"order": order.number,
                                                                         "amount": refund.amount, "kind": kind})
    from . import tasks

    transaction.on_commit(lambda: tasks.process_refund.delay(refund.pk))
    return refund


def refund_request(*, enrollment: Enrollment, actor) -> Refund:
    """申请退款: full amount, in the refund window, once per person per exam. The seats go back at once."""
    if not refund_window_open(enrollment.exam):
        raise RefundNotAllowed(_("Refunds can only be requested in the refund window."))
    try:
        with transaction.atomic():
            order = (Order.objects.select_for_update().filter(enrollment=enrollment, status=O.PAID)
                     .select_related("enrollment").first())
            if order is None or enrollment.status != EnrollmentStatus.ENROLLED:
                raise RefundNotAllowed(_("There is no paid order to refund."))
            if Refund.objects.filter(candidate=enrollment.candidate, exam=enrollment.exam,
                                     kind=RefundKind.CANDIDATE).exists():
                raise RefundNotAllowed(_("You have already used your one refund for this exam."))
            payment = order.payments.filter(outcome__in=[NotificationOutcome.CREDITED,
                                                         NotificationOutcome.LATE_CREDITED]).get()
            # The order's action first: its guard (window, one refund per exam) sees no refund yet.
            ORDER.perform(order, "start_refund", actor=actor, reason="refund requested")
            refund = _refund_create(order=order, payment=payment, kind=RefundKind.CANDIDATE, actor=actor)
            invoice = Invoice.objects.filter(order=order, status=InvoiceStatus.ISSUED).first()
            if invoice is not None:
                INVOICE.perform(invoice, "void", actor=None, fields={"voided_at": timezone.now()},
                                audit_extra={"refund": refund.pk})
            # Last: the seats go back, and the quota rows stay locked only until the commit.
            registration_services.enrollment_refund_seats(enrollment=enrollment, actor=actor)
    except IntegrityError as exc:  # two requests at once: the constraint lets one through
        raise RefundNotAllowed(_("You have already used your one refund for this exam.")) from exc
    return refund


def refund_process(*, refund_id: int) -> str:
    """The worker sends a refund to the platform; a failure is kept visible and tried again."""
    refund = Refund.objects.select_related("order", "payment").get(pk=refund_id)
    if refund.status == RefundStatus.REFUNDED:
        return refund.status
    action = "process"
    if refund.status == RefundStatus.PROCESSING:
        # Another worker is at it, unless it died on the way (then resume; the platform's refund
        # is idempotent per request number, so no money moves twice).
        if refund.updated_at > timezone.now() - datetime.timedelta(minutes=5):
            return refund.status
        action = "resume"
    try:
        REFUND.perform(refund, action, actor=None, fields={"attempts": refund.attempts + 1})
    except RefundChanged:  # another worker took it first
        return Refund.objects.get(pk=refund.pk).status
    try:
        result = providers.get(refund.order.provider).refund(
            order=refund.order, trade_no=refund.payment.trade_no, amount=refund.amount,
            refund_request_no=f"RF{refund.pk:010d}")
    except (providers.ProviderError, providers.InvalidSignature, OSError) as exc:
        result = providers.RefundResult(ok=False, error=str(exc)[:300])
    try:
        with transaction.atomic():
            if result.ok:
                REFUND.perform(refund, "succeed", actor=None,
                               fields={"refunded_at": timezone.now(), "provider_refund_no": result.refund_no})
                notices.refund_completed(refund=refund)
                if refund.kind == RefundKind.CANDIDATE:
                    ORDER.perform(Order.objects.select_for_update().get(pk=refund.order_id), "complete_refund",
                                  actor=None, reason="refund completed")
            else:
                REFUND.perform(refund, "fail", actor=None, fields={"last_error": result.error[:300]},
                               audit_extra={"last_error": result.error[:300]})
    except RefundChanged:  # a worker that resumed it recorded the platform's answer first
        return Refund.objects.get(pk=refund.pk).status
    return refund.status


def refund_retry(*, refund: Refund, actor) -> None:
    """Staff send a failed refund again: it goes back to "requested" (audited with the staff member)
    and the worker sends it; the platform is never called in the staff member's request."""
    from . import tasks

    with transaction.atomic():
        REFUND.perform(refund, "retry", actor=actor)
        transaction.on_commit(lambda: tasks.process_refund.delay(refund.pk))


def refunds_retry_failed() -> int:
    """Beat: failed refunds are sent again, and so are refunds still "requested" after a few minutes
    (their task was lost, e.g. queued while the broker was down)."""
    from . import tasks

    forgotten = Q(status=RefundStatus.REQUESTED, created_at__lt=timezone.now() - datetime.timedelta(minutes=5))
    failed = list(Refund.objects.filter(Q(status=RefundStatus.FAILED) | forgotten).values_list("pk", flat=True)[:200])
    for refund_id in failed:
        tasks.process_refund.delay(refund_id)
    return len(failed)


# --------------------------------------------------------------------------- the books


def check_invariants() -> list[str]:
    """What must always hold; an empty list means the books and the seats agree.

    For every quota: held = seats of unpaid orders, sold = seats of paid orders, never above
    capacity. Every paid order has its seats. Money received = paid orders + refunded + being refunded."""
    from exams.models import SeatQuota
    from registration.models import EnrollmentSeat, SeatState

    problems = []
    for quota in SeatQuota.objects.all():
        held = EnrollmentSeat.objects.filter(quota=quota, state=SeatState.HELD).count()
        sold = EnrollmentSeat.objects.filter(quota=quota, state=SeatState.SOLD).count()
        held_orders = EnrollmentSeat.objects.filter(quota=quota, state=SeatState.HELD,
                                                    enrollment__orders__status=O.PENDING).count()
        sold_orders = EnrollmentSeat.objects.filter(quota=quota, state=SeatState.SOLD,
                                                    enrollment__orders__status=O.PAID).count()
        if (quota.held, quota.sold) != (held, sold):
            problems.append(f"quota {quota.pk}: counters {quota.held}/{quota.sold} but seats {held}/{sold}")
        if held != held_orders or sold != sold_orders:
            problems.append(f"quota {quota.pk}: seats {held}/{sold} but orders {held_orders}/{sold_orders}")
        if quota.held + quota.sold > quota.capacity:
            problems.append(f"quota {quota.pk}: oversold")
    for order in Order.objects.filter(status=O.PAID).prefetch_related("lines"):
        seats = EnrollmentSeat.objects.filter(enrollment=order.enrollment, state=SeatState.SOLD).count()
        if seats != order.lines.count():
            problems.append(f"order {order.number}: paid with {seats} seats for {order.lines.count()} subjects")
    received = Payment.objects.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    paid = Order.objects.filter(status=O.PAID).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    refunds = Refund.objects.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    if received != paid + refunds:
        problems.append(f"money: received {received} != paid {paid} + refunded {refunds}")
    return problems
