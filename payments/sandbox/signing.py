"""The sandbox platform's signature: HMAC-SHA256 over the sorted `key=value` pairs (the way
Alipay and WeChat Pay build the string to sign), with the key the platform shares with the merchant."""
import hashlib
import hmac

from django.conf import settings


def _key() -> bytes:
    key = settings.PAYMENT_SANDBOX_KEY or f"sandbox:{settings.SECRET_KEY}"
    return key.encode()


def canonical(data: dict) -> str:
    return "&".join(f"{k}={data[k]}" for k in sorted(data) if k not in ("sign", "sign_type") and data[k] != "")


def sign(data: dict) -> str:
    return hmac.new(_key(), canonical(data).encode(), hashlib.sha256).hexdigest()


def signed(data: dict) -> dict:
    data = {k: str(v) for k, v in data.items()}
    return {**data, "sign_type": "HMAC-SHA256", "sign": sign(data)}


def verify(data: dict) -> bool:
    given = str(data.get("sign", ""))
    return bool(given) and hmac.compare_digest(given, sign({k: str(v) for k, v in data.items()}))
