"""The audit trail: every service that changes state calls `audit_log` inside its transaction."""
from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def audit_log(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    ip_address: str | None = None,
) -> AuditEntry:
    """Append one audit entry; `actor` may be None for the system or an anonymous visitor."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_repr=(actor.get_username() if is_user else "system")[:150],
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        ip_address=ip_address,
    )


def entries_for(obj: models.Model):
    """The history of one object, newest first."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")


def save_with_audit(*, obj, actor, changed: list[str]):
    """Save a row of reference data as staff edited it (a field, a level, a course category …), with one
    audit entry `<app>.<model>_created|_changed` naming the changed values before and after."""
    from django.db import models, transaction

    def plain(value):
        return str(value) if isinstance(value, models.Model) else value

    created = obj.pk is None
    with transaction.atomic():
        stored = None if created else type(obj).objects.select_for_update().filter(pk=obj.pk).first()
        obj.save()
        audit_log(actor=actor, action=f"{obj._meta.app_label}.{obj._meta.model_name}_{'created' if created else 'changed'}",
                  obj=obj, before={name: plain(getattr(stored, name)) for name in changed} if stored is not None else {},
                  after={name: plain(getattr(obj, name)) for name in changed})
    return obj
