import ipaddress

from django.conf import settings


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The visitor's address, as login lockout, rate limits and the audit log record it.

    Without TRUST_X_FORWARDED_FOR it is the peer address. Behind trusted proxies it is the
    TRUSTED_PROXY_COUNT-th X-Forwarded-For entry from the right: each proxy appends the address it
    received the request from, so the entries to the left of that one are the client's to choose.
    A header with fewer entries, or an entry that is not an address, gives the peer address."""
    if request is None:
        return None
    peer = request.META.get("REMOTE_ADDR") or None
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        proxies = max(1, getattr(settings, "TRUSTED_PROXY_COUNT", 1))
        forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
        if len(forwarded) >= proxies:
            return _ip(forwarded[-proxies]) or peer
    return peer
