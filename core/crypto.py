"""Encryption at rest for personal identifiers and the keyed hash that finds them again."""
import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _derived(label: str) -> bytes:
    return hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        keys = (base64.urlsafe_b64encode(_derived("field-encryption")).decode(),)
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def encrypt(value: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a wrong key must fail loudly, never show garbage
        raise ValueError("cannot decrypt with the configured FIELD_ENCRYPTION_KEYS") from exc


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 hex of a normalised identifier: unique constraints and exact lookups."""
    key = settings.ID_HASH_KEY.encode() if settings.ID_HASH_KEY else _derived("id-hash")
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()
