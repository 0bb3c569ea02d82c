"""Seats move here and nowhere else. Every change is a conditional UPDATE on the quota row:
the database decides, under its row lock, whatever the concurrency. Rows are always touched in
id order, so two transactions that touch the same quotas cannot deadlock."""
from __future__ import annotations

import logging
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import DomainError
from core.workflow import StaleState

from .exceptions import InconsistentData, QuotaRuleViolation, SeatsBusy, SeatsExhausted
from .models import ReleaseStatus, SeatQuota, SeatRelease

logger = logging.getLogger(__name__)

HELD, SOLD = "held", "sold"

# How long a seat change waits for a quota row that other transactions hold before it gives up
# and the candidate is told to try again (at the opening the queue would otherwise grow unbounded).
LOCK_TIMEOUT = "3s"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout that ran out


def _limit_lock_wait() -> None:
    """From here to the end of the caller's transaction, a row lock not granted within LOCK_TIMEOUT
    fails instead of waiting (PostgreSQL's SET LOCAL; SQLite's writers wait for its busy timeout)."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


@contextmanager
def _busy_when_locks_time_out():
    """A lock timeout becomes SeatsBusy (a domain error every page shows as a message), once the
    atomic block inside has rolled back; any other database error stays what it is."""
    try:
        yield
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            logger.warning("seat change gave up waiting for a quota row lock", extra={"timeout": LOCK_TIMEOUT})
            raise SeatsBusy() from exc
        raise


def _schedule_refresh(exam_id: int) -> None:
    from . import tasks

    tasks.schedule_availability_refresh(exam_id)


def _refresh_availability_on_commit(quota_ids, exam_id: int | None = None) -> None:
    exam_ids = {exam_id} if exam_id is not None else set(
        SeatQuota.objects.filter(pk__in=list(quota_ids)).values_list("exam_id", flat=True))
    for exam_id in exam_ids:
        transaction.on_commit(lambda exam_id=exam_id: _schedule_refresh(exam_id))


def seats_take(*, quota_ids: list[int], state: str = HELD, exam_id: int | None = None,
               savepoint: bool = True) -> None:
    """Take one seat in each quota, all or nothing; SeatsExhausted names the full quotas.
    `exam_id`, when the caller knows that every quota is of that exam, saves looking it up.

    `savepoint=False` (the seat take of an order, two statements fewer): no savepoint of its own,
    inside the caller's transaction, which is then marked for rollback on SeatsExhausted (Django's
    `atomic(savepoint=False)`): the seats taken before the full quota are undone with it."""
    if state not in (HELD, SOLD):
        raise ValueError(state)
    ordered = sorted(set(quota_ids))
    if len(ordered) != len(quota_ids):
        raise ValueError("a quota appears twice")
    with _busy_when_locks_time_out(), transaction.atomic(savepoint=savepoint):
        _limit_lock_wait()
        _refresh_availability_on_commit(ordered, exam_id)  # before the row locks: nothing else runs while they are held
        _take(ordered, state)


def _take(ordered: list[int], state: str) -> None:
    full = []
    for quota_id in ordered:
        changed = (SeatQuota.objects
                   .filter(pk=quota_id, capacity__gt=F("held") + F("sold"))
                   .update(**{state: F(state) + 1}))
        if not changed:
            full.append(quota_id)
    if full:
        # Leave the caller's atomic block by raising: the seats taken above are given back.
        raise SeatsExhausted(full)


def seats_give_back(*, quota_ids: list[int], state: str = HELD, exam_id: int | None = None) -> None:
    """Give back one seat in each quota (an order cancelled, expired or refunded); `exam_id` as for
    seats_take."""
    ordered = sorted(set(quota_ids))
    with _busy_when_locks_time_out(), transaction.atomic():
        _limit_lock_wait()
        _refresh_availability_on_commit(ordered, exam_id)  # before the row locks: nothing else runs while they are held
        _give_back(ordered, state)


def _give_back(ordered: list[int], state: str) -> None:
    for quota_id in ordered:
        changed = SeatQuota.objects.filter(pk=quota_id, **{f"{state}__gt": 0}).update(**{state: F(state) - 1})
        if not changed:  # the books disagree with the caller: never go negative, shout
            raise QuotaRuleViolation(_("No %(state)s seat to give back in quota %(id)s.")
                                     % {"state": state, "id": quota_id})


def seats_sell(*, quota_ids: list[int]) -> None:
    """Turn held seats into sold ones (an order was paid)."""
    ordered = sorted(set(quota_ids))
    with _busy_when_locks_time_out(), transaction.atomic():
        _limit_lock_wait()
        _refresh_availability_on_commit(ordered)  # before the row locks: nothing else runs while they are held
        for quota_id in ordered:
            changed = (SeatQuota.objects.filter(pk=quota_id, held__gt=0)
                       .update(held=F("held") - 1, sold=F("sold") + 1))
            if not changed:
                raise QuotaRuleViolation(_("No held seat to sell in quota %(id)s.") % {"id": quota_id})


def seats_move(*, from_quota_ids: list[int], to_quota_ids: list[int], state: str = SOLD) -> None:
    """Move seats between quotas in one step (change of city): all or nothing."""
    to_ordered, from_ordered = sorted(set(to_quota_ids)), sorted(set(from_quota_ids))
    if len(to_ordered) != len(to_quota_ids):
        raise ValueError("a quota appears twice")
    with _busy_when_locks_time_out(), transaction.atomic():
        _limit_lock_wait()
        # Lock every row of the move in id order first: two candidates swapping cities at the
        # same moment then queue behind each other instead of deadlocking.
        exam_ids = {exam_id for _pk, exam_id in SeatQuota.objects.select_for_update().filter(
            pk__in=[*from_ordered, *to_ordered]).order_by("pk").values_list("pk", "exam_id")}
        for exam_id in exam_ids:  # known: no lookup while the rows are locked
            transaction.on_commit(lambda exam_id=exam_id: _schedule_refresh(exam_id))
        _take(to_ordered, state)
        _give_back(from_ordered, state)


def quota_release_seats(*, quota: SeatQuota, seats: int, actor, release_at=None) -> SeatRelease:
    """Add seats to a quota now, or schedule a batch for later (the beat job applies it)."""
    if seats <= 0:
        raise QuotaRuleViolation(_("Release at least one seat."))
    now = timezone.now()
    with transaction.atomic():
        release = SeatRelease.objects.create(quota=quota, seats=seats, release_at=release_at or now,
                                             created_by=actor if getattr(actor, "is_authenticated", False) else None)
        audit_log(actor=actor, action="quota.release_scheduled", obj=quota,
                  after={"seats": seats, "release_at": release.release_at, "release": release.pk})
        if release.release_at <= now:
            _apply_release(release.pk, actor=actor)
    return release


def _apply_release(release_id: int, *, actor=None) -> bool:
    """Apply one scheduled release exactly once: the status flip is the guard."""
    from .states import SEAT_RELEASE

    release = SeatRelease.objects.get(pk=release_id)
    if release.status != ReleaseStatus.SCHEDULED:
        return False
    try:
        SEAT_RELEASE.perform(release, "apply", actor=actor, fields={"applied_at": timezone.now()})
    except StaleState:  # another worker applied it first
        return False
    quota = SeatQuota.objects.select_for_update().get(pk=release.quota_id)  # the audit shows true figures
    SeatQuota.objects.filter(pk=quota.pk).update(capacity=F("capacity") + release.seats)
    audit_log(actor=actor, action="quota.seats_released", obj=quota, before={"capacity": quota.capacity},
              after={"capacity": quota.capacity + release.seats, "release": release.pk})
    _refresh_availability_on_commit([release.quota_id])
    return True


def releases_apply_due() -> int:
    """Apply every release whose time has come; safe when two workers run it at once."""
    applied = 0
    now = timezone.now()
    due = list(SeatRelease.objects.filter(status=ReleaseStatus.SCHEDULED, release_at__lte=now)
               .order_by("release_at", "id").values_list("pk", flat=True)[:1000])
    for release_id in due:
        with transaction.atomic():
            if _apply_release(release_id):
                applied += 1
    if applied:
        logger.info("seat releases applied", extra={"count": applied})
    return applied


def quota_set_capacity(*, quota: SeatQuota, capacity: int, actor) -> None:
    """Staff change a capacity directly; it may not drop below the seats already taken."""
    with transaction.atomic():
        locked = SeatQuota.objects.select_for_update().get(pk=quota.pk)
        if capacity < locked.held + locked.sold:
            raise QuotaRuleViolation(_("Capacity cannot be below the %(n)d seats already taken.")
                                     % {"n": locked.held + locked.sold})
        SeatQuota.objects.filter(pk=quota.pk).update(capacity=capacity)
        audit_log(actor=actor, action="quota.capacity_set", obj=locked, before={"capacity": locked.capacity},
                  after={"capacity": capacity})
        _refresh_availability_on_commit([quota.pk])


def release_cancel(*, release: SeatRelease, actor) -> bool:
    """Cancel a scheduled release; one already applied stays applied."""
    from .states import SEAT_RELEASE

    with transaction.atomic():
        current = SeatRelease.objects.select_related("quota").get(pk=release.pk)
        if current.status != ReleaseStatus.SCHEDULED:
            return False
        try:
            SEAT_RELEASE.perform(current, "cancel", actor=actor)
        except StaleState:
            return False
        audit_log(actor=actor, action="quota.release_cancelled", obj=current.quota,
                  after={"release": current.pk, "seats": current.seats})
    return True


def _check_consistent(obj) -> None:
    """The model's own rules of what belongs together (its clean()), refused as a domain error that
    names the field, for callers other than admin's forms (which run clean() themselves)."""
    try:
        obj.clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InconsistentData(messages[0], field=None if field == "__all__" else field) from None


def quota_create(*, quota: SeatQuota, actor) -> SeatQuota:
    """Staff open seats for an exam in an area and sitting (a sitting of that exam)."""
    _check_consistent(quota)
    with transaction.atomic():
        quota.held = quota.sold = 0
        quota.save()
        audit_log(actor=actor, action="quota.created", obj=quota, after={"capacity": quota.capacity})
        _refresh_availability_on_commit([quota.pk])
    return quota


# --------------------------------------------------------------------------- staff edits in admin


def _audited_save(obj, *, actor, fields: list[str], created: bool, action: str) -> None:
    """Save what staff changed in admin with one audit entry of the values before and after."""
    with transaction.atomic():
        if created:
            obj.save()
            audit_log(actor=actor, action=f"{action}.created", obj=obj,
                      after={name: getattr(obj, name) for name in fields})
            return
        if not fields:
            return
        stored = type(obj)._default_manager.select_for_update().filter(pk=obj.pk).values(*fields).get()
        changed = [name for name in fields if stored[name] != getattr(obj, name)]
        obj.save()
        if changed:
            audit_log(actor=actor, action=f"{action}.changed", obj=obj,
                      before={name: stored[name] for name in changed},
                      after={name: getattr(obj, name) for name in changed})


def exam_save(*, exam, actor, fields: list[str], created: bool = False) -> None:
    """Staff create or change an exam (windows, texts, rules); its status moves only through
    exams.states.EXAM (publish, take back, cancel)."""
    if "status" in fields and not created:
        raise DomainError(_("The status changes through the publish, take-back and cancel actions."))
    _check_consistent(exam)
    _audited_save(exam, actor=actor, fields=fields, created=created, action="exam")


def subject_save(*, subject, actor, fields: list[str], created: bool = False) -> None:
    """Staff add a subject or change its name or fee (the fee of orders not yet created)."""
    _audited_save(subject, actor=actor, fields=fields, created=created, action="subject")


def exam_part_delete(*, obj, actor) -> None:
    """Staff remove a subject or a sitting of an exam (refused by the database while anything uses it)."""
    with transaction.atomic():
        audit_log(actor=actor, action=f"{type(obj)._meta.model_name}.deleted", obj=obj,
                  before={"name": getattr(obj, "name", str(obj))})
        obj.delete()


def sitting_save(*, sitting, actor, fields: list[str], created: bool = False, subjects=None) -> None:
    """Staff add a sitting or change its times or the subjects it offers (`subjects`: the whole new
    set, each a subject of the sitting's own exam)."""
    if subjects is not None:
        foreign = [subject for subject in subjects if subject.exam_id != sitting.exam_id]
        if foreign:
            raise InconsistentData(_("%(subjects)s belong to another exam: a sitting offers subjects of its own "
                                     "exam only.") % {"subjects": "、".join(s.name for s in foreign)},
                                   field="subjects")
    with transaction.atomic():
        _audited_save(sitting, actor=actor, fields=[f for f in fields if f != "subjects"], created=created,
                      action="sitting")
        if subjects is None:
            return
        before = sorted(sitting.subjects.values_list("pk", flat=True)) if not created else []
        after = sorted(subject.pk for subject in subjects)
        if before != after:
            sitting.subjects.set(subjects)
            audit_log(actor=actor, action="sitting.subjects_changed", obj=sitting,
                      before={"subjects": before}, after={"subjects": after})
