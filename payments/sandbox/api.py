"""The sandbox platform's side: create, pay, notify, query, refund. Merchant requests and platform
answers are signed (payments.sandbox.signing); this module never imports the merchant's code."""
from __future__ import annotations

import logging
import secrets
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import signing
from .models import SandboxRefund, SandboxTransaction, TransactionStatus

logger = logging.getLogger(__name__)


class SandboxError(Exception):
    pass


def _trade_no() -> str:
    return f"SB{timezone.now():%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


def open_transaction(params: dict) -> SandboxTransaction:
    """The checkout page's first step: a signed merchant request opens (or finds) a transaction."""
    if not signing.verify(params):
        raise SandboxError("invalid merchant signature")
    amount = Decimal(params["total_amount"])
    txn, created = SandboxTransaction.objects.get_or_create(
        merchant_order_no=params["out_trade_no"],
        defaults={"trade_no": _trade_no(), "amount": amount, "subject": params.get("subject", "")[:200],
                  "notify_url": params["notify_url"], "return_url": params["return_url"]})
    if not created and txn.amount != amount:
        raise SandboxError("the same order number with another amount")
    return txn


def pay(txn: SandboxTransaction) -> bool:
    """The payer confirms: the money moves once, then the platform notifies the merchant."""
    from . import tasks

    with transaction.atomic():
        changed = SandboxTransaction.objects.filter(pk=txn.pk, status=TransactionStatus.WAITING).update(
            status=TransactionStatus.PAID, paid_at=timezone.now())
        if changed:
            transaction.on_commit(lambda: tasks.deliver_notification.delay(txn.pk))
    txn.refresh_from_db()
    return bool(changed)


def notification_for(txn: SandboxTransaction) -> dict:
    return signing.signed({
        "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(8),
        "out_trade_no": txn.merchant_order_no, "trade_no": txn.trade_no, "trade_status": txn.status,
        "total_amount": f"{txn.amount:.2f}", "gmt_payment": timezone.localtime(txn.paid_at).strftime(
            "%Y-%m-%d %H:%M:%S") if txn.paid_at else "",
    })


def deliver_notification(txn_id: int) -> bool:
    """POST the signed notification to the merchant; True once the merchant answered `success`."""
    txn = SandboxTransaction.objects.get(pk=txn_id)
    SandboxTransaction.objects.filter(pk=txn.pk).update(notify_attempts=F("notify_attempts") + 1)
    body = urllib.parse.urlencode(notification_for(txn)).encode()
    request = urllib.request.Request(txn.notify_url, data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=settings.PAYMENT_HTTP_TIMEOUT) as response:
        answer = response.read().decode().strip()
    if answer != "success":
        raise SandboxError(f"merchant answered {answer[:50]!r}")
    SandboxTransaction.objects.filter(pk=txn.pk).update(notified_at=timezone.now())
    return True


def return_params(txn: SandboxTransaction) -> dict:
    """What the browser brings back to the merchant's return URL (informative only)."""
    return signing.signed({"out_trade_no": txn.merchant_order_no, "trade_no": txn.trade_no,
                           "total_amount": f"{txn.amount:.2f}"})


def query(request: dict) -> dict:
    """Query API: the transaction of a merchant order number, signed by the platform."""
    if not signing.verify(request):
        return signing.signed({"code": "40002", "msg": "invalid signature"})
    txn = SandboxTransaction.objects.filter(merchant_order_no=request.get("out_trade_no", "")).first()
    if txn is None:
        return signing.signed({"code": "40004", "msg": "trade not exist", "out_trade_no": request.get("out_trade_no")})
    return signing.signed({"code": "10000", "msg": "Success", "out_trade_no": txn.merchant_order_no,
                           "trade_no": txn.trade_no, "trade_status": txn.status,
                           "total_amount": f"{txn.amount:.2f}"})


def refund(request: dict) -> dict:
    """Refund API: idempotent per refund request number; never more than was paid."""
    if not signing.verify(request):
        return signing.signed({"code": "40002", "msg": "invalid signature"})
    if settings.PAYMENT_SANDBOX_FAIL_REFUNDS:
        return signing.signed({"code": "20000", "msg": "service temporarily unavailable"})
    try:
        amount = Decimal(request.get("refund_amount", ""))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or not request.get("out_request_no"):
        return signing.signed({"code": "40002", "msg": "invalid parameters"})
    with transaction.atomic():
        txn = SandboxTransaction.objects.select_for_update().filter(trade_no=request.get("trade_no", "")).first()
        if txn is None or txn.status != TransactionStatus.PAID:
            return signing.signed({"code": "40004", "msg": "trade not refundable"})
        existing = SandboxRefund.objects.filter(request_no=request["out_request_no"]).first()
        if existing is None:
            if txn.refunded_amount + amount > txn.amount:
                return signing.signed({"code": "40004", "msg": "refund amount exceeds payment"})
            existing = SandboxRefund.objects.create(transaction=txn, request_no=request["out_request_no"],
                                                    amount=amount)
            SandboxTransaction.objects.filter(pk=txn.pk).update(refunded_amount=F("refunded_amount") + amount)
    return signing.signed({"code": "10000", "msg": "Success", "trade_no": txn.trade_no,
                           "out_request_no": existing.request_no, "refund_fee": f"{existing.amount:.2f}"})


