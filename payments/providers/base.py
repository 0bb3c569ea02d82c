"""What the payment services need from a payment platform; one class per platform."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


class ProviderError(Exception):
    """The platform could not be reached or answered with an error (transient: retry later)."""


class InvalidSignature(Exception):
    """A notification or response whose signature does not verify: forged or garbled."""


class MalformedMessage(ProviderError):
    """A signed message whose content makes no sense (an amount that is not one): refused, not retried."""


def parse_amount(text) -> Decimal:
    """A platform's amount in yuan ("160.00"): a finite, non-negative number with at most two decimals."""
    try:
        amount = Decimal(str(text if text not in (None, "") else "0").strip())
        if amount.is_finite() and amount >= 0 and amount == amount.quantize(Decimal("0.01")):
            return amount
    except InvalidOperation:  # not a number, or too large to have cents
        pass
    raise MalformedMessage(f"amount {str(text)[:20]!r} is not an amount in yuan")


@dataclass(frozen=True)
class PaymentState:
    """A platform's word on one order: paid or not, and for how much."""

    order_number: str
    paid: bool
    trade_no: str = ""
    amount: Decimal | None = None


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    refund_no: str = ""
    error: str = ""


class PaymentProvider:
    key: str = ""

    def start_payment(self, *, order, return_url: str, notify_url: str) -> str:
        """The URL the candidate's browser goes to in order to pay."""
        raise NotImplementedError

    def verify_notification(self, data: dict) -> PaymentState:
        """Check an asynchronous notification's signature; raise InvalidSignature if it fails."""
        raise NotImplementedError

    def notification_ack(self) -> str:
        """The body the platform expects when a notification was handled (or was a replay)."""
        return "success"

    def query(self, *, order) -> PaymentState:
        raise NotImplementedError

    def refund(self, *, order, trade_no: str, amount: Decimal, refund_request_no: str) -> RefundResult:
        raise NotImplementedError
