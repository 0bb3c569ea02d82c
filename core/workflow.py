"""The one way things move through states (STYLE.md, "State changes and reviews").

Each model with states declares a `Workflow`: its states and its actions, each action saying from
which states, to which state, who may act, a guard that can refuse with a reason, whether a reason
or an attachment is required and whom to tell. `perform()` is the only code that changes such a
status: a conditional UPDATE from the state the caller saw (a lost race raises the workflow's
`stale` error), one audit entry with before/after and the reason, a review record when the action
is a verdict, notices on commit. `allowed_actions(obj, user)` answers what a user may do now, and
views, templates, menus and admin ask it instead of deciding themselves.

Why no library: django-fsm-2 changes the field on the instance and saves it (no conditional UPDATE,
so two requests can both "win") and keeps permissions and audit out of its declarations; viewflow
is a process engine with its own tables and views. What we need is a few hundred lines.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit import audit_log
from .exceptions import DomainError

# --------------------------------------------------------------------------- who may act


class Party:
    """Someone who may carry out an action: `allows(obj, user)`; `user` is None for the system."""

    label = ""

    def allows(self, obj, user) -> bool:
        raise NotImplementedError

    def __or__(self, other: Party) -> Party:
        return AnyOf(self, other)

    def __and__(self, other: Party) -> Party:
        return AllOf(self, other)

    def __str__(self) -> str:
        return str(self.label)


class _System(Party):
    label = "system (worker, beat, payment platform)"

    def allows(self, obj, user) -> bool:
        return user is None


SYSTEM = _System()


class HasPerm(Party):
    """A staff member holding a permission (superusers hold them all)."""

    def __init__(self, perm: str):
        self.perm = perm
        self.label = f"holder of `{perm}`"

    def allows(self, obj, user) -> bool:
        return user is not None and user.is_active and user.has_perm(self.perm)


class Relation(Party):
    """A relation between the user and the object, such as "the candidate" or "the assigned expert"."""

    def __init__(self, label: str, test: Callable[[Any, Any], bool]):
        self.label, self.test = label, test

    def allows(self, obj, user) -> bool:
        return user is not None and user.is_active and bool(self.test(obj, user))


class AnyOf(Party):
    def __init__(self, *parties: Party):
        self.parties = parties
        self.label = " or ".join(str(p) for p in parties)

    def allows(self, obj, user) -> bool:
        return any(p.allows(obj, user) for p in self.parties)


class AllOf(Party):
    def __init__(self, *parties: Party):
        self.parties = parties
        self.label = " and ".join(f"({p})" if isinstance(p, AnyOf) else str(p) for p in parties)

    def allows(self, obj, user) -> bool:
        return all(p.allows(obj, user) for p in self.parties)


# --------------------------------------------------------------------------- declarations


class ActionRefused(DomainError):
    """The action is not allowed for this user, in this state, or its guard refuses."""


class StaleState(DomainError):
    """Someone else changed the object between reading it and acting on it."""

    default_message = gettext_lazy("This was changed meanwhile. Reload the page.")


@dataclass(frozen=True)
class Notice:
    """Whom an action tells and what: `recipients(obj)` gives users; subject and body are msgids
    (gettext_noop) formatted with `params(obj)` when the reader opens them, in the reader's language."""

    recipients: Callable[[Any], Iterable]
    kind: str
    subject: str
    body: str
    params: Callable[[Any], dict] = lambda obj: {}
    url: Callable[[Any], str] = lambda obj: ""


@dataclass(frozen=True)
class Action:
    name: str
    label: str | Promise
    source: tuple[str, ...]
    target: str
    who: Party
    guard: Callable[[Any], str | None] | None = None  # a refusal reason, or None
    reason_required: bool = False
    attachment_required: bool = False
    review: bool = False  # a verdict: a Review record is written
    notify: tuple[Notice | Callable[[Any], None], ...] = ()  # a Notice, or a function of the object that notifies
    audit_action: str = ""  # defaults to "<workflow>.<target>"

    def refusal(self, obj, user, current: str) -> str | None:
        if current not in self.source:
            return _("This cannot be done now (the status is “%(status)s”).") % {"status": obj_status_label(obj)}
        if not self.who.allows(obj, user):
            return _("You may not do this.")
        return self.guard(obj) if self.guard else None


def obj_status_label(obj) -> str:
    workflow = workflow_for(obj)
    value = getattr(obj, workflow.field)
    try:
        return str(workflow.states(value).label)
    except ValueError:
        return str(value)


@dataclass
class Workflow:
    """The states and actions of one model; registered by name when created."""

    name: str
    model: type[models.Model]
    states: type[models.TextChoices]
    actions: list[Action]
    field: str = "status"
    refused: type[DomainError] = ActionRefused  # the model's own domain errors, so callers keep theirs
    stale: type[DomainError] = StaleState
    stale_message: str | Promise = StaleState.default_message
    by_name: dict[str, Action] = dataclass_field(init=False, repr=False)

    def __post_init__(self):
        self.by_name = {action.name: action for action in self.actions}
        if len(self.by_name) != len(self.actions):
            raise ValueError(f"{self.name}: two actions with one name")
        values = set(self.states.values)
        for action in self.actions:
            unknown = (set(action.source) | {action.target}) - values
            if unknown:
                raise ValueError(f"{self.name}.{action.name}: unknown states {sorted(unknown)}")
        REGISTRY[self.name] = self

    # -- questions

    def allowed_actions(self, obj, user) -> list[Action]:
        current = getattr(obj, self.field)
        return [a for a in self.actions if a.refusal(obj, user, current) is None]

    def action(self, name: str) -> Action:
        return self.by_name[name]

    def actions_to(self, target: str) -> list[Action]:
        return [a for a in self.actions if a.target == target]

    # -- the one writer

    def perform(self, obj, action_name: str, *, actor, reason: str = "", attachment=None,
                stage: str = "", fields: dict | None = None, audit_extra: dict | None = None,
                audit_before: dict | None = None) -> Action:
        """Carry out an action on `obj` as `actor` (None: the system), inside a transaction.

        Raises `self.refused` when the action is not allowed (state, party, guard, missing reason)
        and `self.stale` when the row is no longer in the state `obj` was read in."""
        action = self.by_name[action_name]
        old = getattr(obj, self.field)
        problem = action.refusal(obj, actor, old)
        if problem is None and action.reason_required and not reason.strip():
            problem = _("Give the reason.")
        if problem is None and action.attachment_required and not attachment:
            problem = _("Attach the supporting document.")
        if problem is not None:
            raise self.refused(problem)
        fields = fields or {}
        updates = {self.field: action.target, **fields}
        if any(f.name == "updated_at" for f in self.model._meta.concrete_fields):
            updates.setdefault("updated_at", timezone.now())
        # The stale error is raised after the block: leaving atomic(savepoint=False) by an exception
        # would doom the caller's whole transaction, and a caller may catch it and carry on.
        with transaction.atomic(savepoint=False):
            changed = self.model._default_manager.filter(pk=obj.pk, **{self.field: old}).update(**updates)
            if changed:
                self._record(obj, action, old, updates, actor=actor, reason=reason, attachment=attachment,
                             stage=stage, audit_extra=audit_extra, audit_before=audit_before)
        if not changed:
            raise self.stale(self.stale_message)
        return action

    def _record(self, obj, action, old, updates, *, actor, reason, attachment, stage, audit_extra, audit_before):
        """What a carried-out action leaves: the object's new values, the audit entry, a review, notices."""
        for name, value in updates.items():
            setattr(obj, name, value)
        after = {self.field: action.target, **({"reason": reason} if reason else {}), **(audit_extra or {})}
        audit_log(actor=actor, action=action.audit_action or f"{self.name}.{action.target}", obj=obj,
                  before={self.field: old, **(audit_before or {})}, after=after)
        if action.review:
            record_review(obj, reviewer=actor, stage=stage or old, verdict=action.name, reason=reason,
                          attachment=attachment)
        for notice in action.notify:
            _queue_notice(notice, obj)


REGISTRY: dict[str, Workflow] = {}


def workflow_for(obj_or_model) -> Workflow:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    for workflow in REGISTRY.values():
        if issubclass(model, workflow.model):
            return workflow
    raise LookupError(f"no workflow declared for {model.__name__}")


def allowed_actions(obj, user) -> list[Action]:
    """What `user` (None: the system) may do with `obj` now: views, templates and admin ask this."""
    return workflow_for(obj).allowed_actions(obj, user)


def can(obj, user, action_name: str) -> bool:
    return any(a.name == action_name for a in allowed_actions(obj, user))


def perform(obj, action_name: str, **kwargs) -> Action:
    return workflow_for(obj).perform(obj, action_name, **kwargs)


# --------------------------------------------------------------------------- assignments


def assign(obj, *, assignee, actor, stage: str, due_at=None):
    """分配: give `obj` to `assignee` to act on at `stage` (an expert to evaluate an application);
    one open assignment per person and stage, audited."""
    from django.contrib.contenttypes.models import ContentType

    from .models import Assignment

    with transaction.atomic():
        assignment, created = Assignment.objects.get_or_create(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk), stage=stage,
            assignee=assignee, done_at=None, defaults={"assigned_by": actor, "due_at": due_at})
        if created:
            audit_log(actor=actor, action="assignment.created", obj=obj,
                      after={"stage": stage, "assignee": assignee.get_username(), "due_at": due_at})
    return assignment


def assignment_done(obj, *, assignee, stage: str) -> None:
    """The assignee acted at `stage`: their open assignment is closed (called by the chain's service)."""
    from django.contrib.contenttypes.models import ContentType

    from .models import Assignment

    Assignment.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk),
                              stage=stage, assignee=assignee, done_at=None).update(done_at=timezone.now())


def assigned(stage: str, label: str = "") -> Relation:
    """The party "whoever holds an open assignment of the object at `stage`" (e.g. the assigned expert)."""
    from django.contrib.contenttypes.models import ContentType

    from .models import Assignment

    def holds(obj, user) -> bool:
        return Assignment.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk),
                                         stage=stage, assignee=user, done_at=None).exists()

    return Relation(label or f"assigned at stage {stage}", holds)


# --------------------------------------------------------------------------- reviews and notices


def record_review(obj, *, reviewer, stage: str, verdict: str, reason: str = "", attachment=None, role: str = ""):
    from django.contrib.contenttypes.models import ContentType

    from .models import Review

    review = Review(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk),
                    reviewer=reviewer if reviewer is not None and reviewer.is_authenticated else None,
                    role=role or _role_of(reviewer), stage=stage, verdict=verdict, reason=reason)
    if attachment:
        review.attachment.save(getattr(attachment, "name", "attachment") or "attachment", attachment, save=False)
    review.save()
    return review


def _role_of(user) -> str:
    if user is None:
        return "system"
    if user.is_superuser:
        return "superuser"
    names = sorted(user.groups.values_list("name", flat=True))
    return ",".join(names)[:60]


def _queue_notice(notice, obj) -> None:
    """Written with the action, in the same transaction: the inbox and the action agree."""
    from . import notifications

    if not isinstance(notice, Notice):
        notice(obj)  # the app's own notice function (e.g. registration.notices)
        return
    recipients = [user for user in notice.recipients(obj) if user is not None]
    if recipients:
        notifications.notify(recipients=recipients, kind=notice.kind, subject=notice.subject, body=notice.body,
                             params=notice.params(obj), obj=obj, url=notice.url(obj))


# --------------------------------------------------------------------------- the table in the docs


def table_markdown() -> str:
    """Every state machine as a table (docs/architecture.md; a test keeps them equal)."""
    lines = []
    for name in sorted(REGISTRY):
        workflow = REGISTRY[name]
        lines.append(f"#### {name} (`{workflow.model._meta.label}.{workflow.field}`)")
        lines.append("")
        lines.append("States: " + ", ".join(f"`{value}`" for value in workflow.states.values) + ".")
        lines.append("")
        lines.append("| action | from | to | who may act | needs | tells |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for action in workflow.actions:
            needs = ", ".join(n for n, flag in (("reason", action.reason_required),
                                                  ("attachment", action.attachment_required),
                                                  ("guard", action.guard is not None),
                                                  ("review record", action.review)) if flag) or "—"
            tells = ", ".join(getattr(n, "kind", None) or n.__name__.strip("_") for n in action.notify) or "—"
            source = ", ".join(f"`{s}`" for s in action.source)
            lines.append(f"| {action.name} | {source} | `{action.target}` | {action.who} | {needs} | {tells} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
