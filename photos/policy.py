"""Who may replace their photo, decided by higher apps without photos importing them: registration
registers a check at start-up (the photo is locked once a registration window of the candidate's
has closed)."""
from __future__ import annotations

from collections.abc import Callable

_lock_checks: list[Callable] = []


def register_lock_check(check: Callable) -> None:
    """`check(user)` returns a reason (str) when the user's photo may not be replaced, else None."""
    if check not in _lock_checks:
        _lock_checks.append(check)


def lock_reason(user) -> str | None:
    for check in _lock_checks:
        reason = check(user)
        if reason:
            return reason
    return None
