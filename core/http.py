from django.conf import settings


def client_ip(request) -> str | None:
    """The visitor's address. Behind a trusted proxy (TRUST_X_FORWARDED_FOR) it is the last
    X-Forwarded-For entry: the one our proxy appended, which a client cannot choose."""
    if request is None:
        return None
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR") or None
