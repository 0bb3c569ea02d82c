"""The merchant's client for the sandbox platform: the same shape as a real gateway client."""
from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from payments.sandbox import api, signing

from .base import InvalidSignature, PaymentProvider, PaymentState, ProviderError, RefundResult, parse_amount


class SandboxProvider(PaymentProvider):
    key = "sandbox"

    def start_payment(self, *, order, return_url, notify_url) -> str:
        params = signing.signed({
            "merchant": "examreg", "out_trade_no": order.number, "total_amount": f"{order.amount:.2f}",
            "subject": order.exam.name[:100], "notify_url": notify_url, "return_url": return_url,
            "timestamp": timezone.now().strftime("%Y-%m-%d %H:%M:%S"),
        })
        return f"{reverse('paysandbox:gateway')}?{urlencode(params)}"

    def verify_notification(self, data: dict) -> PaymentState:
        if not signing.verify(data):
            raise InvalidSignature("sandbox notification signature")
        return PaymentState(order_number=data.get("out_trade_no", ""), paid=data.get("trade_status") == "TRADE_SUCCESS",
                            trade_no=data.get("trade_no", ""), amount=parse_amount(data.get("total_amount")))

    def query(self, *, order) -> PaymentState:
        answer = api.query(signing.signed({"out_trade_no": order.number}))
        if not signing.verify(answer):
            raise InvalidSignature("sandbox query answer signature")
        if answer.get("code") == "40004":
            return PaymentState(order_number=order.number, paid=False)
        if answer.get("code") != "10000":
            raise ProviderError(answer.get("msg", "query failed"))
        return PaymentState(order_number=order.number, paid=answer.get("trade_status") == "TRADE_SUCCESS",
                            trade_no=answer.get("trade_no", ""), amount=parse_amount(answer.get("total_amount")))

    def refund(self, *, order, trade_no, amount, refund_request_no) -> RefundResult:
        answer = api.refund(signing.signed({"trade_no": trade_no, "refund_amount": f"{amount:.2f}",
                                            "out_request_no": refund_request_no}))
        if not signing.verify(answer):
            raise InvalidSignature("sandbox refund answer signature")
        if answer.get("code") == "10000":
            return RefundResult(ok=True, refund_no=answer.get("out_request_no", refund_request_no))
        return RefundResult(ok=False, error=f"{answer.get('code')}: {answer.get('msg')}")
