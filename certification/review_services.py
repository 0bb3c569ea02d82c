"""Staff's writes around the chains that are not a chain's own action: bulk expert assignment (the
configuration of fields, levels and tracks is saved by core.audit.save_with_audit)."""
from __future__ import annotations

from dataclasses import dataclass, field

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

