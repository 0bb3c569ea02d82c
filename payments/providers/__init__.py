"""Payment platforms by key: `get("sandbox")`, `get("alipay")`."""
from django.conf import settings
from django.utils.module_loading import import_string

from .base import InvalidSignature, PaymentProvider, PaymentState, ProviderError, RefundResult

__all__ = ["InvalidSignature", "PaymentProvider", "PaymentState", "ProviderError", "RefundResult", "get", "enabled",
           "accepts_notifications"]

CLASSES = {
    "sandbox": "payments.providers.sandbox.SandboxProvider",
    "alipay": "payments.providers.alipay.AlipayProvider",
}


def enabled() -> list[str]:
    """Platforms a candidate may choose: the sandbox unless switched off, Alipay once configured."""
    keys = []
    if settings.PAYMENT_SANDBOX_ENABLED:
        keys.append("sandbox")
    if settings.ALIPAY.get("app_id"):
        keys.append("alipay")
    return keys


def accepts_notifications(key: str) -> bool:
    """Whose notifications are heard: a real platform's always (money may still arrive after it was
    switched off), the sandbox's only while it is on."""
    if key == "sandbox":
        return settings.PAYMENT_SANDBOX_ENABLED
    return key in CLASSES


def get(key: str) -> PaymentProvider:
    if key not in CLASSES:
        raise KeyError(key)
    return import_string(CLASSES[key])()
