"""Candidates racing for the last seats (名额) through registration.services: the database hands out
exactly the seats there are, the losers get a clear message, and no seat is ever half taken.

The race tests need PostgreSQL (real row locks, real threads): `DATABASE_URL=postgres://…`.
Enrollments lock only their own row (the last test checks the exam row stays free), so these races
really run side by side on the seat counters."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from core.exceptions import DomainError
from exams import availability
from exams.exceptions import SeatsExhausted
from exams.models import SeatQuota
from registration.services import enrollment as registration_services
from registration.exceptions import NoSeatsInArea
from registration.models import (
    Enrollment,
    EnrollmentSeat,
    EnrollmentStatus,
    EnrollmentSubject,
)
from registration.services import enrollment_seats_give_back, enrollment_seats_take
from tests.accounts.factories import UserFactory
from tests.exams.factories import small_exam

WORKERS = 40  # PostgreSQL allows ~100 connections; every worker holds one


def confirmed_enrollments(built, count: int, *, area: int = 0, sittings=(0,)) -> list[Enrollment]:
    """`count` candidates who finished the wizard and confirmed: area and subjects chosen, no seat yet."""
    now = timezone.now()
    users = UserFactory.create_batch(count)
    enrollments = Enrollment.objects.bulk_create([
        Enrollment(candidate=user, exam=built.exam, status=EnrollmentStatus.CONFIRMED, notice_accepted_at=now,
                   nationality="CN", mobile=user.mobile, email=user.email, area=built.areas[area],
                   info_saved_at=now, subjects_saved_at=now, area_saved_at=now, confirmed_at=now)
        for user in users])
    EnrollmentSubject.objects.bulk_create([
        EnrollmentSubject(enrollment=enrollment, sitting=built.sittings[s], subject=built.subjects[s])
        for enrollment in enrollments for s in sittings])
    return enrollments


def race(calls) -> list:
    """Run the calls from WORKERS threads released together; each outcome is "ok" or the exception."""
    go = threading.Event()

    def attempt(call):
        try:
            if not go.wait(timeout=10):
                raise TimeoutError("the race never started")
            call()
            return "ok"
        except Exception as exc:  # noqa: BLE001 - the test sorts the outcomes
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(attempt, call) for call in calls]
        go.set()
        return [future.result(timeout=60) for future in futures]


def take(enrollment):
    return lambda: enrollment_seats_take(enrollment=enrollment, actor=enrollment.candidate)


def give_back(enrollment):
    return lambda: enrollment_seats_give_back(enrollment=enrollment, actor=enrollment.candidate,
                                              reason="order cancelled")


def unexpected(outcomes) -> list[str]:
    """Outcomes a candidate must never see: anything but success or a seat message (no 500s)."""
    return [repr(o) for o in outcomes if o != "ok" and not isinstance(o, (NoSeatsInArea, SeatsExhausted))]


def statuses(enrollments) -> dict[str, int]:
    counts = {}
    for status in Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_hundred_candidates_racing_for_fifty_seats_get_exactly_fifty():
    built = small_exam(capacities={(0, 0): 50, (0, 1): 50, (1, 0): 30, (1, 1): 30})
    quota = built.quotas[(0, 0)]
    enrollments = confirmed_enrollments(built, 200, area=0, sittings=(0,))

    outcomes = race([take(enrollment) for enrollment in enrollments])

    assert unexpected(outcomes) == []
    assert outcomes.count("ok") == 50
    assert all(isinstance(o, DomainError) for o in outcomes if o != "ok")
    quota.refresh_from_db()
    assert (quota.held, quota.sold) == (50, 0)
    winners = {e.pk for e, outcome in zip(enrollments, outcomes) if outcome == "ok"}
    seats = EnrollmentSeat.objects.filter(quota=quota)
    assert seats.count() == 50
    assert set(seats.values_list("enrollment_id", flat=True)) == winners
    assert set(Enrollment.objects.filter(status=EnrollmentStatus.PENDING_PAYMENT).values_list("pk", flat=True)) \
        == winners
    assert statuses(enrollments) == {EnrollmentStatus.PENDING_PAYMENT: 50, EnrollmentStatus.CONFIRMED: 150}
    # The other quotas were never touched, and the display catches up once the changes committed.
    assert [built.quota(a, s).held for a, s in ((0, 1), (1, 0), (1, 1))] == [0, 0, 0]
    availability.refresh(built.exam.pk)
    assert availability.seats_left(built.exam.pk)[(built.areas[0].pk, built.sittings[0].pk)] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("last_seat_in", [0, 1], ids=["first-sitting", "second-sitting"])
def test_ten_candidates_racing_for_a_pair_with_one_last_seat_get_one_pair(last_seat_in):
    """Two sittings in one area; one of them has a single seat left. Nobody keeps half a pair."""
    capacities = {(0, 0): 10, (0, 1): 10, (1, 0): 10, (1, 1): 10}
    capacities[(0, last_seat_in)] = 1
    built = small_exam(capacities=capacities)
    scarce, plenty = built.quotas[(0, last_seat_in)], built.quotas[(0, 1 - last_seat_in)]
    enrollments = confirmed_enrollments(built, 10, area=0, sittings=(0, 1))

    outcomes = race([take(enrollment) for enrollment in enrollments])

    assert unexpected(outcomes) == []
    assert outcomes.count("ok") == 1
    scarce.refresh_from_db()
    plenty.refresh_from_db()
    assert scarce.held == 1
    assert plenty.held == outcomes.count("ok")
    winner = enrollments[outcomes.index("ok")]
    assert sorted(EnrollmentSeat.objects.values_list("enrollment_id", "quota_id")) == sorted(
        [(winner.pk, scarce.pk), (winner.pk, plenty.pk)])
    assert statuses(enrollments) == {EnrollmentStatus.PENDING_PAYMENT: 1, EnrollmentStatus.CONFIRMED: 9}


@pytest.mark.django_db
def test_giving_back_after_taking_restores_the_counts_and_frees_the_seats():
    built = small_exam(capacities={(0, 0): 1, (0, 1): 1, (1, 0): 5, (1, 1): 5})
    first, second = confirmed_enrollments(built, 2, area=0, sittings=(0, 1))
    enrollment_seats_take(enrollment=first, actor=first.candidate)
    assert first.status == EnrollmentStatus.PENDING_PAYMENT
    assert [(built.quota(0, s).held, built.quota(0, s).sold) for s in (0, 1)] == [(1, 0), (1, 0)]
    with pytest.raises(NoSeatsInArea) as refused:
        enrollment_seats_take(enrollment=second, actor=second.candidate)
    assert refused.value.alternatives == [built.areas[1].name]  # the message points to an area with seats
    assert EnrollmentSeat.objects.filter(enrollment=second).count() == 0

    enrollment_seats_give_back(enrollment=first, actor=first.candidate, reason="order expired")

    assert first.status == EnrollmentStatus.CONFIRMED
    assert [(built.quota(0, s).held, built.quota(0, s).sold) for s in (0, 1)] == [(0, 0), (0, 0)]
    assert not EnrollmentSeat.objects.filter(enrollment=first).exists()
    enrollment_seats_take(enrollment=second, actor=second.candidate)  # the freed pair goes to the next
    assert second.status == EnrollmentStatus.PENDING_PAYMENT
    assert [built.quota(0, s).held for s in (0, 1)] == [1, 1]


@pytest.mark.django_db
def test_giving_back_twice_is_refused_and_gives_back_only_once():
    built = small_exam(capacity=3)
    (enrollment,) = confirmed_enrollments(built, 1, area=1, sittings=(0, 1))
    enrollment_seats_take(enrollment=enrollment, actor=enrollment.candidate)
    enrollment_seats_give_back(enrollment=enrollment, actor=enrollment.candidate, reason="order cancelled")
    with pytest.raises(DomainError):
        enrollment_seats_give_back(enrollment=enrollment, actor=enrollment.candidate, reason="order cancelled")
    assert [built.quota(1, s).held for s in (0, 1)] == [0, 0]
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.CONFIRMED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_seats_given_back_while_others_take_them_are_counted_exactly():
    """20 unpaid orders are cancelled while 20 other candidates ask for the same pairs of seats."""
    built = small_exam(capacities={(0, 0): 20, (0, 1): 20, (1, 0): 5, (1, 1): 5})
    holders = confirmed_enrollments(built, 20, area=0, sittings=(0, 1))
    for enrollment in holders:
        enrollment_seats_take(enrollment=enrollment, actor=enrollment.candidate)
    newcomers = confirmed_enrollments(built, 20, area=0, sittings=(0, 1))
    calls = [call for pair in zip(map(give_back, holders), map(take, newcomers)) for call in pair]

    outcomes = race(calls)

    assert unexpected(outcomes) == []
    assert outcomes[0::2] == ["ok"] * 20  # every cancellation went through
    assert statuses(holders) == {EnrollmentStatus.CONFIRMED: 20}
    taken = outcomes[1::2].count("ok")
    pending = Enrollment.objects.filter(status=EnrollmentStatus.PENDING_PAYMENT)
    for s in (0, 1):
        quota = built.quota(0, s)
        assert quota.held == taken == pending.count()
        assert EnrollmentSeat.objects.filter(quota=quota).count() == taken
    # No seat leaked: the candidates who lost the race get the freed seats now, all of them.
    for enrollment, outcome in zip(newcomers, outcomes[1::2]):
        if outcome != "ok":
            enrollment_seats_take(enrollment=enrollment, actor=enrollment.candidate)
    assert [built.quota(0, s).held for s in (0, 1)] == [20, 20]
    assert SeatQuota.objects.filter(exam=built.exam, area=built.areas[1], held__gt=0).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_order_does_not_hold_up_a_candidate_taking_seats_elsewhere(monkeypatch):
    """Candidate A's order is still being written (A holds a seat in area 0); candidate B takes seats in
    area 1, which share no quota with A: B must not wait for A."""
    built = small_exam(capacity=10)
    (slow,) = confirmed_enrollments(built, 1, area=0, sittings=(0, 1))
    (quick,) = confirmed_enrollments(built, 1, area=1, sittings=(0, 1))
    inside, finish = threading.Event(), threading.Event()
    perform = registration_services.ENROLLMENT.perform

    def perform_then_wait(enrollment, action, **kwargs):
        done = perform(enrollment, action, **kwargs)
        if enrollment.pk == slow.pk:
            inside.set()
            finish.wait(timeout=15)  # keep A's transaction open until B is done (or gave up)
        return done

    monkeypatch.setattr(registration_services.ENROLLMENT, "perform", perform_then_wait)
    outcomes = {}

    def run(enrollment, name, lock_timeout=None):
        try:
            if lock_timeout:  # waiting longer than this for a lock means B was held up
                with connection.cursor() as cursor:
                    cursor.execute(f"SET lock_timeout = '{lock_timeout}'")
            enrollment_seats_take(enrollment=enrollment, actor=enrollment.candidate)
            outcomes[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes[name] = repr(exc)
        finally:
            connection.close()

    slow_thread = threading.Thread(target=run, args=(slow, "slow"))
    slow_thread.start()
    try:
        assert inside.wait(timeout=10), "A's order never started"
        quick_thread = threading.Thread(target=run, args=(quick, "quick", "2s"))
        quick_thread.start()
        quick_thread.join(timeout=10)
        quick_outcome = outcomes.get("quick")
    finally:
        finish.set()
        slow_thread.join(timeout=10)
    assert quick_outcome == "ok"
    assert outcomes == {"quick": "ok", "slow": "ok"}
    assert [built.quota(a, s).held for a in (0, 1) for s in (0, 1)] == [1, 1, 1, 1]
