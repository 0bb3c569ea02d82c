"""Staff's writes around the chains that are not a chain's own action: bulk expert assignment and
the configuration of fields, levels and tracks (requirements and fees), each audited."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models, transaction

from core.audit import audit_log
from core.exceptions import DomainError

from . import services
from .models import Application


@dataclass
class AssignmentReport:
    assigned: list[Application] = field(default_factory=list)
    refused: list[tuple[Application, str]] = field(default_factory=list)


def experts_assign(*, applications, actor, expert, due_at=None) -> AssignmentReport:
    """分配专家 for several applications at once: each goes through `services.expert_assign` on its own
    (a conflict of interest refuses that one with its reason; the others are assigned)."""
    report = AssignmentReport()
    for app in applications:
        try:
            services.expert_assign(app=app, actor=actor, expert=expert, due_at=due_at)
        except DomainError as exc:
            report.refused.append((app, str(exc.message)))
        else:
            report.assigned.append(app)
    return report


def catalogue_save(*, obj: models.Model, actor, changed: list[str]) -> models.Model:
    """Save a field, level, track (requirements, fees, validity) or practicing relation as staff
    edited it, with one audit entry naming the changed values before and after."""
    created = obj.pk is None
    with transaction.atomic():
        stored = None if created else type(obj).objects.select_for_update().filter(pk=obj.pk).first()
        obj.save()
        label = obj._meta.model_name
        audit_log(actor=actor, action=f"certification.{label}_{'created' if created else 'changed'}", obj=obj,
                  before={name: _plain(getattr(stored, name)) for name in changed} if stored is not None else {},
                  after={name: _plain(getattr(obj, name)) for name in changed})
    return obj


def _plain(value):
    if isinstance(value, models.Model):
        return str(value)
    return value
