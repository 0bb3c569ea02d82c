"""Alipay page payment with RSA2 (E2), fully offline: the merchant's and "Alipay's" key pairs are
generated here; the gateway's answers come from a fake transport signed like the real API."""
import base64
import json
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.urls import reverse

from payments import providers, services
from payments.models import NotificationOutcome, Payment
from payments.providers import InvalidSignature, ProviderError
from payments.providers.alipay import AlipayProvider
from tests.payments.conftest import counts

GATEWAY = "https://openapi.alipaydev.com/gateway.do"
APP_ID = "2021000000000001"


def _pem_private(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _bare_public(key) -> str:
    """The public key the way Alipay's console shows it: base64 of the DER, no PEM armour."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def keys():
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    alipay = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SimpleNamespace(merchant=merchant, alipay=alipay)


@pytest.fixture
def config(keys):
    return {"app_id": APP_ID, "private_key": _pem_private(keys.merchant),
            "alipay_public_key": _bare_public(keys.alipay), "gateway": GATEWAY}


@pytest.fixture
def provider(config):
    return AlipayProvider(config=config)


def signing_string(params: dict, exclude) -> str:
    """Alipay's rule, written out independently: sorted key=value of the non-empty parameters."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in exclude and v not in ("", None))


def rsa2(key, text: str) -> str:
    return base64.b64encode(key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_valid(public_key, text: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except CryptoInvalidSignature:
        return False
    return True


def notification(keys, **changes) -> dict:
    """An asynchronous notification as Alipay posts it, signed with Alipay's private key."""
    data = {"notify_time": "2026-11-22 10:15:00", "notify_type": "trade_status_sync",
            "notify_id": "ac05099524730693a8b330c5ecf72da9786",
            "charset": "utf-8", "version": "1.0", "app_id": APP_ID, "trade_no": "2026112222001404010500123456",
            "out_trade_no": "20261122101500123456", "trade_status": "TRADE_SUCCESS", "total_amount": "160.00",
            "receipt_amount": "160.00", "buyer_pay_amount": "160.00", "subject": "认证人员注册全国统一考试",
            "gmt_payment": "2026-11-22 10:14:59", "sign_type": "RSA2"}
    data.update(changes)
    data["sign"] = rsa2(keys.alipay, signing_string(data, exclude=("sign", "sign_type")))
    return data


class FakeGateway:
    """Stands in for openapi.alipay.com: records the requests, answers with a signed JSON text."""

    def __init__(self, keys, payload, *, sign_with=None, tamper=False):
        self.keys, self.payload, self.requests = keys, payload, []
        self.sign_with, self.tamper = sign_with, tamper

    def __call__(self, url, params):
        self.requests.append((url, params))
        member = params["method"].replace(".", "_") + "_response"
        body = json.dumps(self.payload, ensure_ascii=False, separators=(",", ":"))
        signature = rsa2(self.sign_with or self.keys.alipay, body)
        if self.tamper:  # the answer was changed after Alipay signed it
            body = body.replace("TRADE_SUCCESS", "TRADE_FINISHED").replace("10000", "10001")
        return f'{{"{member}":{body},"sign":"{signature}"}}'


def order_like(number="20261122101500123456", amount="160.00"):
    return SimpleNamespace(number=number, amount=Decimal(amount), exam=SimpleNamespace(name="2026年第一期认证人员统一考试"))


# --------------------------------------------------------------------------- requests we sign


def test_page_pay_url_is_signed_with_the_merchant_key(provider, keys):
    url = provider.start_payment(order=order_like(), return_url="https://exam.example.org/pay/orders/1/return/",
                                 notify_url="https://exam.example.org/pay/notify/alipay/")

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == GATEWAY
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    assert (params["app_id"], params["method"], params["sign_type"], params["charset"]) == (
        APP_ID, "alipay.trade.page.pay", "RSA2", "utf-8")
    assert params["notify_url"] == "https://exam.example.org/pay/notify/alipay/"
    assert params["return_url"] == "https://exam.example.org/pay/orders/1/return/"
    biz = json.loads(params["biz_content"])
    assert biz["out_trade_no"] == "20261122101500123456" and biz["total_amount"] == "160.00"
    assert biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    signature = params.pop("sign")
    assert rsa2_valid(keys.merchant.public_key(), signing_string(params, exclude=("sign",)), signature)
    # …and not with any other key, nor over other content
    assert not rsa2_valid(keys.alipay.public_key(), signing_string(params, exclude=("sign",)), signature)
    params["biz_content"] = params["biz_content"].replace("160.00", "1.00")
    assert not rsa2_valid(keys.merchant.public_key(), signing_string(params, exclude=("sign",)), signature)


def test_not_configured_is_refused(config):
    with pytest.raises(ProviderError):
        AlipayProvider(config={**config, "private_key": ""})
    with pytest.raises(ProviderError):
        AlipayProvider(config={**config, "app_id": ""})


# --------------------------------------------------------------------------- notifications


def test_notification_signed_by_alipay_is_accepted(provider, keys):
    state = provider.verify_notification(notification(keys))
    assert state.paid and state.order_number == "20261122101500123456"
    assert state.trade_no == "2026112222001404010500123456" and state.amount == Decimal("160.00")
    assert provider.verify_notification(notification(keys, trade_status="TRADE_FINISHED")).paid
    assert not provider.verify_notification(notification(keys, trade_status="WAIT_BUYER_PAY")).paid


@pytest.mark.parametrize("field, value", [("total_amount", "0.01"), ("trade_status", "TRADE_SUCCESS "),
                                          ("out_trade_no", "20261122101500999999"), ("trade_no", "1")])
def test_tampered_notification_is_rejected(provider, keys, field, value):
    data = notification(keys)
    data[field] = value
    with pytest.raises(InvalidSignature):
        provider.verify_notification(data)


def test_notification_signed_by_someone_else_or_unsigned_is_rejected(provider, keys):
    forged = notification(keys)
    forged["sign"] = rsa2(keys.merchant, signing_string(forged, exclude=("sign", "sign_type")))
    with pytest.raises(InvalidSignature):
        provider.verify_notification(forged)
    unsigned = notification(keys)
    del unsigned["sign"]
    with pytest.raises(InvalidSignature):
        provider.verify_notification(unsigned)
    garbage = notification(keys)
    garbage["sign"] = "not base64!"
    with pytest.raises(InvalidSignature):
        provider.verify_notification(garbage)
    with pytest.raises(InvalidSignature):
        provider.verify_notification(notification(keys, sign_type="RSA"))


def test_notification_for_another_app_is_rejected(provider, keys):
    with pytest.raises(InvalidSignature):
        provider.verify_notification(notification(keys, app_id="2021000000009999"))


# --------------------------------------------------------------------------- query and refund


def test_query_is_signed_and_its_answer_verified(provider, keys):
    gateway = FakeGateway(keys, {"code": "10000", "msg": "Success", "out_trade_no": "20261122101500123456",
                                 "trade_no": "2026112222001404010500123456", "trade_status": "TRADE_SUCCESS",
                                 "total_amount": "160.00", "buyer_logon_id": "159****5620"})
    provider.transport = gateway

    state = provider.query(order=order_like())

    assert state.paid and state.trade_no == "2026112222001404010500123456"
    assert state.amount == Decimal("160.00") and state.order_number == "20261122101500123456"
    (url, params), = gateway.requests
    assert url == GATEWAY and params["method"] == "alipay.trade.query"
    assert json.loads(params["biz_content"]) == {"out_trade_no": "20261122101500123456"}
    signature = params.pop("sign")
    assert rsa2_valid(keys.merchant.public_key(), signing_string(params, exclude=("sign",)), signature)


def test_query_of_a_trade_alipay_does_not_know_is_unpaid(provider, keys):
    provider.transport = FakeGateway(keys, {"code": "40004", "msg": "Business Failed",
                                            "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"})
    assert not provider.query(order=order_like()).paid
    provider.transport = FakeGateway(keys, {"code": "20000", "msg": "Service Currently Unavailable",
                                            "sub_code": "isp.unknow-error", "sub_msg": "系统繁忙"})
    with pytest.raises(ProviderError):
        provider.query(order=order_like())


@pytest.mark.parametrize("how", ["merchant-key", "tampered", "no-sign"])
def test_answer_with_a_bad_signature_raises_invalid_signature(provider, keys, how):
    payload = {"code": "10000", "msg": "Success", "out_trade_no": "20261122101500123456",
               "trade_no": "2026112222001404010500123456", "trade_status": "TRADE_SUCCESS", "total_amount": "160.00"}
    if how == "no-sign":
        def gateway(url, params):
            return json.dumps({"alipay_trade_query_response": payload}, separators=(",", ":"))
        provider.transport = gateway
    else:
        provider.transport = FakeGateway(keys, payload, sign_with=keys.merchant if how == "merchant-key" else None,
                                         tamper=how == "tampered")
    with pytest.raises(InvalidSignature):
        provider.query(order=order_like())


def test_refund_is_signed_and_its_answer_verified(provider, keys):
    gateway = FakeGateway(keys, {"code": "10000", "msg": "Success", "trade_no": "2026112222001404010500123456",
                                 "out_trade_no": "20261122101500123456", "refund_fee": "160.00", "fund_change": "Y"})
    provider.transport = gateway

    result = provider.refund(order=order_like(), trade_no="2026112222001404010500123456", amount=Decimal("160.00"),
                             refund_request_no="RF0000000007")

    assert result.ok and result.refund_no == "RF0000000007"
    (_url, params), = gateway.requests
    assert params["method"] == "alipay.trade.refund"
    assert json.loads(params["biz_content"]) == {"trade_no": "2026112222001404010500123456",
                                                 "refund_amount": "160.00", "out_request_no": "RF0000000007"}
    signature = params.pop("sign")
    assert rsa2_valid(keys.merchant.public_key(), signing_string(params, exclude=("sign",)), signature)

    provider.transport = FakeGateway(keys, {"code": "40004", "msg": "Business Failed",
                                            "sub_code": "ACQ.TRADE_HAS_FINISHED", "sub_msg": "交易已完结"})
    failed = provider.refund(order=order_like(), trade_no="2026112222001404010500123456", amount=Decimal("160.00"),
                             refund_request_no="RF0000000008")
    assert not failed.ok and "40004" in failed.error and "交易已完结" in failed.error

    provider.transport = FakeGateway(keys, gateway.payload, tamper=True)
    with pytest.raises(InvalidSignature):
        provider.refund(order=order_like(), trade_no="2026112222001404010500123456", amount=Decimal("160.00"),
                        refund_request_no="RF0000000009")


def test_unreachable_gateway_is_a_provider_error(provider):
    def down(url, params):
        raise OSError("connection refused")

    provider.transport = down
    with pytest.raises(ProviderError):
        provider.query(order=order_like())
    provider.transport = lambda url, params: '{"error_response":{"code":"40002","msg":"Invalid Arguments"}}'
    with pytest.raises(ProviderError):
        provider.query(order=order_like())


# --------------------------------------------------------------------------- through the merchant's endpoint


@pytest.mark.django_db
def test_alipay_notification_through_the_endpoint_credits_the_order(settings, client, keys, config, on_commit,
                                                                     enrollment, candidate, exam, area):
    settings.ALIPAY = config
    assert providers.enabled() == ["sandbox", "alipay"]
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="alipay")
    url = reverse("payments:notify", args=["alipay"])
    good = notification(keys, out_trade_no=order.number, total_amount=f"{order.amount:.2f}")

    other_app = notification(keys, out_trade_no=order.number, total_amount="160.00", app_id="2021000000009999")
    assert client.post(url, other_app).status_code == 400
    tampered = {**good, "total_amount": "0.01"}
    assert client.post(url, tampered).status_code == 400
    assert client.post(reverse("payments:notify", args=["sandbox"]), good).status_code == 400  # not its platform
    assert not Payment.objects.exists() and counts(exam, area) == [(1, 0), (1, 0)]

    with on_commit():
        response = client.post(url, good)
        replay = client.post(url, good)

    assert response.status_code == 200 and response.content == b"success"
    assert replay.status_code == 200 and replay.content == b"success"
    order.refresh_from_db()
    assert order.status == "paid" and order.provider_trade_no == good["trade_no"]
    payment = Payment.objects.get()
    assert (payment.provider, payment.outcome, payment.amount) == ("alipay", NotificationOutcome.CREDITED,
                                                                   Decimal("160.00"))
    assert counts(exam, area) == [(0, 1), (0, 1)]
    assert services.check_invariants() == []


@pytest.mark.django_db
def test_alipay_query_credits_and_refund_goes_through_the_gateway(settings, monkeypatch, keys, config, on_commit,
                                                                   enrollment, candidate, exam, area):
    """支付完毕 asks Alipay (signed query, verified answer); the refund is sent the same way."""
    settings.ALIPAY = config
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="alipay")
    query = FakeGateway(keys, {"code": "10000", "msg": "Success", "out_trade_no": order.number,
                               "trade_no": "2026112222001404010500777777", "trade_status": "TRADE_SUCCESS",
                               "total_amount": f"{order.amount:.2f}"})
    monkeypatch.setattr(AlipayProvider, "transport", staticmethod(query))

    with on_commit():
        assert services.payment_check(order=order).status == "paid"

    assert Payment.objects.get().trade_no == "2026112222001404010500777777"
    refund_answer = FakeGateway(keys, {"code": "10000", "msg": "Success", "trade_no": "2026112222001404010500777777",
                                       "out_trade_no": order.number, "refund_fee": "160.00", "fund_change": "Y"})
    monkeypatch.setattr(AlipayProvider, "transport", staticmethod(refund_answer))
    enrollment.refresh_from_db()
    with on_commit():
        refund = services.refund_request(enrollment=enrollment, actor=candidate)

    refund.refresh_from_db()
    assert refund.status == "refunded"
    (_url, params), = refund_answer.requests
    assert json.loads(params["biz_content"])["refund_amount"] == "160.00"
    order.refresh_from_db()
    assert order.status == "refunded" and counts(exam, area) == [(0, 0), (0, 0)]
    assert services.check_invariants() == []
