"""One helper for every display of personal data (PIPL): ID numbers, mobiles, e-mails."""


def mask_id_number(value: str | None) -> str:
    """1101**********1234: keep the first and last four characters."""
    if not value:
        return ""
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 2) + value[-1:] if len(value) > 2 else "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_mobile(value: str | None) -> str:
    """138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str | None) -> str:
    """z***g@example.com."""
    if not value or "@" not in value:
        return value or ""
    local, domain = value.split("@", 1)
    if len(local) <= 2:
        return local[:1] + "*@" + domain
    return f"{local[0]}***{local[-1]}@{domain}"


def mask_username(value: str | None) -> str:
    """zh***an: enough to recognise one's own username, not to read somebody else's."""
    if not value:
        return ""
    if len(value) <= 3:
        return value[0] + "*" * (len(value) - 1)
    keep = max(1, len(value) // 4)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]
