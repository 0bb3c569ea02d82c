"""Scoped permissions (SPEC F5): a provincial exam authority sees and acts on its own province only."""
from __future__ import annotations

NOWHERE = "--"  # a provincial user without a province sees nothing


def province_scope(user) -> str | None:
    """None for unrestricted staff; the province code for provincial-authority users."""
    if user.is_superuser:
        return None
    if user.groups.filter(name="provincial_authority").exists():
        return user.province or NOWHERE
    return None
