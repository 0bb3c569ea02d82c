"""Releasing extra seats (放出名额): at once, or at a scheduled time by the beat job, exactly once."""
import datetime
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from core.models import AuditEntry
from exams import services, tasks
from exams.exceptions import QuotaRuleViolation, SeatsExhausted
from exams.models import ReleaseStatus, SeatRelease
from tests.accounts.factories import UserFactory
from tests.exams.factories import SeatQuotaFactory, SeatReleaseFactory, small_exam

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2031, 3, 1, 4, 0, tzinfo=datetime.UTC)  # 12:00 in Shanghai


def capacity_of(quota) -> int:
    quota.refresh_from_db()
    return quota.capacity


@pytest.fixture
def staff(db):
    return release_staff()


def release_staff():
    """A staff member who may release and cancel seats (the workflow core checks who acts)."""
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="exams", codename__in=["add_seatrelease", "change_seatrelease"]))
    return user


def test_a_release_without_a_time_adds_the_seats_at_once(staff):
    quota = SeatQuotaFactory(capacity=1)
    services.seats_take(quota_ids=[quota.pk])
    release = services.quota_release_seats(quota=quota, seats=2, actor=staff)
    assert capacity_of(quota) == 3
    release.refresh_from_db()
    assert release.status == ReleaseStatus.APPLIED
    assert release.applied_at is not None
    assert release.created_by == staff
    entry = AuditEntry.objects.get(action="quota.seats_released")
    assert (entry.object_id, entry.actor) == (str(quota.pk), staff)
    assert entry.before == {"capacity": 1}
    assert entry.after == {"capacity": 3, "release": release.pk}
    # Two more candidates get a seat, the third does not.
    services.seats_take(quota_ids=[quota.pk])
    services.seats_take(quota_ids=[quota.pk])
    with pytest.raises(SeatsExhausted):
        services.seats_take(quota_ids=[quota.pk])


def test_a_release_at_a_time_already_past_applies_at_once(staff):
    quota = SeatQuotaFactory(capacity=4)
    release = services.quota_release_seats(quota=quota, seats=3, actor=staff,
                                           release_at=timezone.now() - datetime.timedelta(minutes=5))
    release.refresh_from_db()
    assert release.status == ReleaseStatus.APPLIED
    assert capacity_of(quota) == 7
    assert services.releases_apply_due() == 0
    assert capacity_of(quota) == 7


@pytest.mark.parametrize("seats", [0, -3])
def test_a_release_of_no_seats_is_refused(staff, seats):
    quota = SeatQuotaFactory(capacity=4)
    with pytest.raises(QuotaRuleViolation):
        services.quota_release_seats(quota=quota, seats=seats, actor=staff)
    assert capacity_of(quota) == 4
    assert not SeatRelease.objects.exists()


def test_a_scheduled_release_waits_for_its_time_and_is_applied_once(staff):
    quota = SeatQuotaFactory(capacity=10)
    with time_machine.travel(NOON, tick=False) as clock:
        release = services.quota_release_seats(quota=quota, seats=5, actor=staff,
                                               release_at=NOON + datetime.timedelta(hours=2))
        assert capacity_of(quota) == 10
        assert AuditEntry.objects.filter(action="quota.release_scheduled", object_id=str(quota.pk)).exists()
        assert not AuditEntry.objects.filter(action="quota.seats_released").exists()

        clock.move_to(NOON + datetime.timedelta(hours=1, minutes=59, seconds=59))
        assert services.releases_apply_due() == 0
        assert capacity_of(quota) == 10
        release.refresh_from_db()
        assert release.status == ReleaseStatus.SCHEDULED

        clock.move_to(NOON + datetime.timedelta(hours=2))
        assert services.releases_apply_due() == 1
        assert capacity_of(quota) == 15
        release.refresh_from_db()
        assert (release.status, release.applied_at) == (ReleaseStatus.APPLIED, NOON + datetime.timedelta(hours=2))

        clock.move_to(NOON + datetime.timedelta(hours=3))
        assert services.releases_apply_due() == 0
        assert capacity_of(quota) == 15
    assert AuditEntry.objects.filter(action="quota.seats_released", object_id=str(quota.pk)).count() == 1


def test_the_beat_task_applies_only_the_releases_that_are_due():
    built = small_exam(capacity=10)
    due, later = built.quota(0, 0), built.quota(1, 1)
    with time_machine.travel(NOON, tick=False):
        SeatReleaseFactory(quota=due, seats=3, release_at=NOON - datetime.timedelta(minutes=1))
        SeatReleaseFactory(quota=due, seats=4, release_at=NOON)
        not_yet = SeatReleaseFactory(quota=later, seats=6, release_at=NOON + datetime.timedelta(minutes=1))
        assert tasks.apply_due_releases.delay().get() == 2
        assert tasks.apply_due_releases.delay().get() == 0
    assert capacity_of(due) == 17
    assert capacity_of(later) == 10
    not_yet.refresh_from_db()
    assert not_yet.status == ReleaseStatus.SCHEDULED


def test_a_cancelled_release_is_never_applied(staff):
    quota = SeatQuotaFactory(capacity=10)
    with time_machine.travel(NOON, tick=False) as clock:
        release = services.quota_release_seats(quota=quota, seats=5, actor=staff,
                                               release_at=NOON + datetime.timedelta(hours=1))
        assert services.release_cancel(release=release, actor=staff) is True
        release.refresh_from_db()
        assert release.status == ReleaseStatus.CANCELLED
        assert AuditEntry.objects.filter(action="quota.release_cancelled", object_id=str(quota.pk)).count() == 1

        clock.move_to(NOON + datetime.timedelta(days=1))
        assert services.releases_apply_due() == 0
    assert capacity_of(quota) == 10
    release.refresh_from_db()
    assert release.status == ReleaseStatus.CANCELLED
    assert services.release_cancel(release=release, actor=staff) is False
    assert AuditEntry.objects.filter(action="quota.release_cancelled").count() == 1


def test_an_applied_release_cannot_be_cancelled_and_its_seats_stay(staff):
    quota = SeatQuotaFactory(capacity=10)
    release = services.quota_release_seats(quota=quota, seats=5, actor=staff)
    assert services.release_cancel(release=release, actor=staff) is False
    release.refresh_from_db()
    assert release.status == ReleaseStatus.APPLIED
    assert capacity_of(quota) == 15
    assert not AuditEntry.objects.filter(action="quota.release_cancelled").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_applying_due_releases_at_the_same_moment_apply_each_exactly_once():
    """Four beat workers (a duplicated beat, a slow run overlapping the next) at the same instant."""
    built = small_exam(capacity=10)
    quotas = list(built.quotas.values())
    now = timezone.now()
    expected = {quota.pk: quota.capacity for quota in quotas}
    releases = []
    for i in range(40):
        quota = quotas[i % len(quotas)]
        seats = 1 + i % 7
        releases.append(SeatReleaseFactory(quota=quota, seats=seats, release_at=now - datetime.timedelta(seconds=i)))
        expected[quota.pk] += seats
    not_due = SeatReleaseFactory(quota=quotas[0], seats=100, release_at=now + datetime.timedelta(days=1))
    workers = 4
    barrier = threading.Barrier(workers)
    applied, errors = [], []

    def apply_due():
        try:
            barrier.wait(timeout=10)
            applied.append(services.releases_apply_due())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=apply_due) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(applied) == workers
    assert sum(applied) == len(releases)
    assert {quota.pk: capacity_of(quota) for quota in quotas} == expected
    assert set(SeatRelease.objects.filter(pk__in=[r.pk for r in releases]).values_list("status", flat=True)) == {
        ReleaseStatus.APPLIED}
    not_due.refresh_from_db()
    assert not_due.status == ReleaseStatus.SCHEDULED
    assert AuditEntry.objects.filter(action="quota.seats_released").count() == len(releases)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_audit_trail_of_simultaneous_releases_adds_up(monkeypatch):
    """Staff release 3 seats now while the beat job applies a scheduled batch of 5 to the same quota."""
    quota = SeatQuotaFactory(capacity=10)
    staff = release_staff()
    SeatReleaseFactory(quota=quota, seats=5, release_at=timezone.now() - datetime.timedelta(minutes=1))
    start = threading.Barrier(2)
    # Meet just before the capacity UPDATE, so both have read the quota before either commits when
    # nothing serialises them; a version that locks the quota first makes this wait time out.
    before_update = threading.Barrier(2, timeout=1)
    real_f = services.F

    def f_after_the_other_read(name):
        if name == "capacity":
            try:
                before_update.wait()
            except threading.BrokenBarrierError:
                pass
        return real_f(name)

    monkeypatch.setattr(services, "F", f_after_the_other_read)
    errors = []

    def run(call):
        try:
            start.wait(timeout=10)
            call()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(services.releases_apply_due,)),
               threading.Thread(target=run, args=(lambda: services.quota_release_seats(
                   quota=quota, seats=3, actor=staff),))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert capacity_of(quota) == 18
    trail = [(entry.before["capacity"], entry.after["capacity"])
             for entry in AuditEntry.objects.filter(action="quota.seats_released").order_by("id")]
    assert len(trail) == 2
    assert trail[0][0] == 10
    assert trail[0][1] == trail[1][0], f"the second entry does not start where the first ended: {trail}"
    assert trail[1][1] == 18


def test_staff_who_may_not_cancel_releases_are_refused_by_the_service(staff):
    from core.exceptions import DomainError

    quota = SeatQuotaFactory()
    release = services.quota_release_seats(quota=quota, seats=2, actor=staff,
                                           release_at=timezone.now() + datetime.timedelta(hours=1))
    with pytest.raises(DomainError):
        services.release_cancel(release=release, actor=UserFactory(is_staff=True))
    release.refresh_from_db()
    assert release.status == "scheduled"
