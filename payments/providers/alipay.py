"""Alipay page payment (电脑网站支付) with RSA2 signatures, using the `cryptography` package.

Requests are signed with the merchant's private key over the sorted `key=value` string of every
parameter but `sign`; notifications are verified with Alipay's public key over every parameter but
`sign` and `sign_type`; JSON answers are verified over the exact text of their `…_response` member.
Disabled unless settings.ALIPAY has an app_id and both keys."""
from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from functools import cached_property

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.utils import timezone

from .base import InvalidSignature, PaymentProvider, PaymentState, ProviderError, RefundResult, parse_amount

PAID_STATES = ("TRADE_SUCCESS", "TRADE_FINISHED")


def _pem(value: str, kind: str) -> bytes:
    value = value.strip()
    if "-----BEGIN" in value:
        return value.encode()
    body = "\n".join(value[i:i + 64] for i in range(0, len(value), 64))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n".encode()


def sign_content(params: dict, *, exclude=("sign",)) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in exclude and params[k] not in ("", None))


def urlopen_transport(url: str, params: dict) -> str:
    body = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
    with urllib.request.urlopen(request, timeout=settings.PAYMENT_HTTP_TIMEOUT) as response:
        return response.read().decode("utf-8")


class AlipayProvider(PaymentProvider):
    key = "alipay"
    transport = staticmethod(urlopen_transport)  # tests replace it with an offline fake

    def __init__(self, config: dict | None = None):
        self.config = config or settings.ALIPAY
        if not (self.config.get("app_id") and self.config.get("private_key") and self.config.get("alipay_public_key")):
            raise ProviderError("Alipay is not configured")

    @cached_property
    def _private_key(self):
        return serialization.load_pem_private_key(_pem(self.config["private_key"], "PRIVATE KEY"), password=None)

    @cached_property
    def _alipay_key(self):
        return serialization.load_pem_public_key(_pem(self.config["alipay_public_key"], "PUBLIC KEY"))

    def _sign(self, params: dict) -> str:
        signature = self._private_key.sign(sign_content(params).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def _verify(self, content: str, signature: str) -> None:
        try:
            self._alipay_key.verify(base64.b64decode(signature), content.encode("utf-8"), padding.PKCS1v15(),
                                    hashes.SHA256())
        except (CryptoInvalidSignature, ValueError, TypeError) as exc:
            raise InvalidSignature("alipay signature") from exc

    def _request(self, method: str, biz: dict, **extra) -> dict:
        params = {
            "app_id": self.config["app_id"], "method": method, "format": "JSON", "charset": "utf-8",
            "sign_type": "RSA2", "timestamp": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"), "version": "1.0",
            "biz_content": json.dumps(biz, separators=(",", ":"), ensure_ascii=False), **extra,
        }
        params["sign"] = self._sign(params)
        return params

    def start_payment(self, *, order, return_url, notify_url) -> str:
        params = self._request("alipay.trade.page.pay", {
            "out_trade_no": order.number, "product_code": "FAST_INSTANT_TRADE_PAY",
            "total_amount": f"{order.amount:.2f}", "subject": order.exam.name[:128],
            "timeout_express": f"{int(settings.ORDER_UNPAID_MINUTES)}m",
        }, return_url=return_url, notify_url=notify_url)
        return f"{self.config['gateway']}?{urllib.parse.urlencode(params)}"

    def verify_notification(self, data: dict) -> PaymentState:
        if data.get("sign_type", "RSA2") != "RSA2":
            raise InvalidSignature("unsupported sign_type")
        self._verify(sign_content(data, exclude=("sign", "sign_type")), data.get("sign", ""))
        if data.get("app_id") != self.config["app_id"]:
            raise InvalidSignature("notification for another app")
        return PaymentState(order_number=data.get("out_trade_no", ""), paid=data.get("trade_status") in PAID_STATES,
                            trade_no=data.get("trade_no", ""), amount=parse_amount(data.get("total_amount")))

    def _call(self, method: str, biz: dict) -> dict:
        try:
            text = self.transport(self.config["gateway"], self._request(method, biz))
        except OSError as exc:
            raise ProviderError(str(exc)) from exc
        member = method.replace(".", "_") + "_response"
        start = text.find(f'"{member}"')
        if start == -1:
            raise ProviderError("unexpected answer")
        start = text.index(":", start) + 1
        while text[start].isspace():
            start += 1
        payload, end = json.JSONDecoder().raw_decode(text, start)
        signature = json.loads(text).get("sign", "")
        self._verify(text[start:end], signature)
        return payload

    def query(self, *, order) -> PaymentState:
        answer = self._call("alipay.trade.query", {"out_trade_no": order.number})
        if answer.get("code") != "10000":
            if answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return PaymentState(order_number=order.number, paid=False)
            raise ProviderError(f"{answer.get('code')} {answer.get('sub_msg') or answer.get('msg')}")
        return PaymentState(order_number=answer.get("out_trade_no", order.number),
                            paid=answer.get("trade_status") in PAID_STATES, trade_no=answer.get("trade_no", ""),
                            amount=parse_amount(answer.get("total_amount")))

    def refund(self, *, order, trade_no, amount, refund_request_no) -> RefundResult:
        answer = self._call("alipay.trade.refund", {"trade_no": trade_no, "refund_amount": f"{amount:.2f}",
                                                    "out_request_no": refund_request_no})
        if answer.get("code") == "10000":
            return RefundResult(ok=True, refund_no=refund_request_no)
        return RefundResult(ok=False, error=f"{answer.get('code')}: {answer.get('sub_msg') or answer.get('msg')}")
