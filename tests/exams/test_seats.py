"""The seat counters (名额): taking, giving back, selling and moving seats never oversell a quota and
never leave a change half done."""
import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from core.models import AuditEntry
from exams import services
from exams.exceptions import QuotaRuleViolation, SeatsExhausted
from exams.models import SeatQuota
from tests.accounts.factories import UserFactory
from tests.exams.factories import SeatQuotaFactory, small_exam

pytestmark = pytest.mark.django_db


def counts(quota):
    quota.refresh_from_db()
    return quota.capacity, quota.held, quota.sold


def seats_left(quota) -> int:
    """Read the way every reader does: SeatQuota.objects.with_seats_left()."""
    return SeatQuota.objects.with_seats_left().get(pk=quota.pk).seats_left


# --------------------------------------------------------------------------- take


def test_seats_can_be_taken_up_to_the_capacity_and_not_one_more():
    quota = SeatQuotaFactory(capacity=3)
    for _ in range(3):
        services.seats_take(quota_ids=[quota.pk])
    with pytest.raises(SeatsExhausted) as refused:
        services.seats_take(quota_ids=[quota.pk])
    assert refused.value.quota_ids == [quota.pk]
    assert counts(quota) == (3, 3, 0)
    assert seats_left(quota) == 0


def test_held_and_sold_seats_share_the_capacity():
    quota = SeatQuotaFactory(capacity=2)
    services.seats_take(quota_ids=[quota.pk], state=services.SOLD)
    services.seats_take(quota_ids=[quota.pk], state=services.HELD)
    assert counts(quota) == (2, 1, 1)
    for state in (services.HELD, services.SOLD):
        with pytest.raises(SeatsExhausted):
            services.seats_take(quota_ids=[quota.pk], state=state)
    assert counts(quota) == (2, 1, 1)


def test_a_seat_in_every_quota_is_taken_at_once():
    built = small_exam(capacity=5)
    first, second = built.quota(0, 0), built.quota(0, 1)
    services.seats_take(quota_ids=[second.pk, first.pk])
    assert counts(first) == (5, 1, 0)
    assert counts(second) == (5, 1, 0)
    assert counts(built.quota(1, 0)) == (5, 0, 0)


@pytest.mark.parametrize("full_one", [0, 1], ids=["full-quota-first", "full-quota-last"])
def test_when_one_of_two_quotas_is_full_nothing_is_taken_and_the_full_one_is_named(full_one):
    built = small_exam(capacities={(0, 0): 5, (0, 1): 5})
    full, other = built.quota(0, full_one), built.quota(0, 1 - full_one)
    SeatQuota.objects.filter(pk=full.pk).update(capacity=1, held=1)
    with pytest.raises(SeatsExhausted) as refused:
        services.seats_take(quota_ids=[built.quotas[(0, 0)].pk, built.quotas[(0, 1)].pk])
    assert refused.value.quota_ids == [full.pk]
    assert counts(other) == (5, 0, 0)
    assert counts(full) == (1, 1, 0)


def test_both_full_quotas_are_named():
    built = small_exam(capacity=0)
    ids = [built.quotas[(1, 0)].pk, built.quotas[(1, 1)].pk]
    with pytest.raises(SeatsExhausted) as refused:
        services.seats_take(quota_ids=ids)
    assert sorted(refused.value.quota_ids) == sorted(ids)


def test_the_same_quota_twice_in_one_take_is_refused_and_takes_nothing():
    quota = SeatQuotaFactory(capacity=5)
    with pytest.raises(ValueError):
        services.seats_take(quota_ids=[quota.pk, quota.pk])
    assert counts(quota) == (5, 0, 0)


def test_a_failed_take_inside_a_larger_transaction_leaves_it_usable():
    """A caller (the order service) catches SeatsExhausted and carries on in its own transaction."""
    built = small_exam(capacities={(0, 0): 3, (0, 1): 0})
    ok, full = built.quota(0, 0), built.quota(0, 1)
    with transaction.atomic():
        with pytest.raises(SeatsExhausted):
            services.seats_take(quota_ids=[ok.pk, full.pk])
        services.seats_take(quota_ids=[ok.pk])
    assert counts(ok) == (3, 1, 0)
    assert counts(full) == (0, 0, 0)


# --------------------------------------------------------------------------- give back


def test_giving_back_returns_the_seat_to_the_pool():
    quota = SeatQuotaFactory(capacity=1)
    services.seats_take(quota_ids=[quota.pk])
    services.seats_give_back(quota_ids=[quota.pk])
    assert counts(quota) == (1, 0, 0)
    services.seats_take(quota_ids=[quota.pk])  # someone else can have it now
    assert counts(quota) == (1, 1, 0)


def test_giving_back_a_sold_seat_leaves_held_seats_alone():
    quota = SeatQuotaFactory(capacity=5)
    services.seats_take(quota_ids=[quota.pk], state=services.SOLD)
    services.seats_take(quota_ids=[quota.pk], state=services.HELD)
    services.seats_give_back(quota_ids=[quota.pk], state=services.SOLD)
    assert counts(quota) == (5, 1, 0)


def test_giving_back_below_zero_is_refused_and_changes_nothing():
    built = small_exam(capacity=5)
    holding, empty = built.quota(0, 0), built.quota(0, 1)
    services.seats_take(quota_ids=[holding.pk])
    with pytest.raises(QuotaRuleViolation):
        services.seats_give_back(quota_ids=[holding.pk, empty.pk])
    assert counts(holding) == (5, 1, 0)
    assert counts(empty) == (5, 0, 0)


def test_a_held_seat_cannot_be_given_back_as_sold():
    quota = SeatQuotaFactory(capacity=5)
    services.seats_take(quota_ids=[quota.pk])
    with pytest.raises(QuotaRuleViolation):
        services.seats_give_back(quota_ids=[quota.pk], state=services.SOLD)
    assert counts(quota) == (5, 1, 0)


# --------------------------------------------------------------------------- sell


def test_selling_turns_held_seats_into_sold_ones_without_changing_seats_left():
    built = small_exam(capacity=4)
    first, second = built.quota(1, 0), built.quota(1, 1)
    services.seats_take(quota_ids=[first.pk, second.pk])
    services.seats_sell(quota_ids=[first.pk, second.pk])
    assert counts(first) == (4, 0, 1)
    assert counts(second) == (4, 0, 1)
    assert seats_left(first) == seats_left(second) == 3


def test_selling_without_a_held_seat_is_refused_and_changes_nothing():
    built = small_exam(capacity=4)
    held, not_held = built.quota(0, 0), built.quota(0, 1)
    services.seats_take(quota_ids=[held.pk])
    with pytest.raises(QuotaRuleViolation):
        services.seats_sell(quota_ids=[held.pk, not_held.pk])
    assert counts(held) == (4, 1, 0)
    assert counts(not_held) == (4, 0, 0)


# --------------------------------------------------------------------------- move (更换考点城市)


def test_moving_a_sold_seat_to_another_area():
    built = small_exam(capacity=2)
    old, new = built.quota(0, 0), built.quota(1, 0)
    services.seats_take(quota_ids=[old.pk], state=services.SOLD)
    services.seats_move(from_quota_ids=[old.pk], to_quota_ids=[new.pk])
    assert counts(old) == (2, 0, 0)
    assert counts(new) == (2, 0, 1)


def test_moving_into_a_full_area_changes_nothing():
    built = small_exam(capacities={(0, 0): 2, (0, 1): 2, (1, 0): 2, (1, 1): 1})
    old = [built.quota(0, 0), built.quota(0, 1)]
    new = [built.quota(1, 0), built.quota(1, 1)]
    services.seats_take(quota_ids=[q.pk for q in old], state=services.SOLD)
    services.seats_take(quota_ids=[new[1].pk], state=services.SOLD)  # someone else's: now full
    with pytest.raises(SeatsExhausted) as refused:
        services.seats_move(from_quota_ids=[q.pk for q in old], to_quota_ids=[q.pk for q in new])
    assert refused.value.quota_ids == [new[1].pk]
    assert [counts(q) for q in old] == [(2, 0, 1), (2, 0, 1)]
    assert [counts(q) for q in new] == [(2, 0, 0), (1, 0, 1)]


def test_moving_a_seat_that_is_not_there_takes_nothing_in_the_new_area():
    built = small_exam(capacity=2)
    old, new = built.quota(0, 0), built.quota(1, 0)
    with pytest.raises(QuotaRuleViolation):
        services.seats_move(from_quota_ids=[old.pk], to_quota_ids=[new.pk])
    assert counts(old) == (2, 0, 0)
    assert counts(new) == (2, 0, 0)


# --------------------------------------------------------------------------- capacity


def test_capacity_can_be_lowered_to_the_seats_taken_but_not_below():
    quota = SeatQuotaFactory(capacity=10)
    staff = UserFactory(is_staff=True)
    services.seats_take(quota_ids=[quota.pk], state=services.SOLD)
    services.seats_take(quota_ids=[quota.pk], state=services.HELD)
    with pytest.raises(QuotaRuleViolation):
        services.quota_set_capacity(quota=quota, capacity=1, actor=staff)
    assert counts(quota) == (10, 1, 1)
    services.quota_set_capacity(quota=quota, capacity=2, actor=staff)
    assert counts(quota) == (2, 1, 1)
    with pytest.raises(SeatsExhausted):
        services.seats_take(quota_ids=[quota.pk])
    entry = AuditEntry.objects.get(action="quota.capacity_set", object_id=str(quota.pk))
    assert entry.actor == staff
    assert (entry.before, entry.after) == ({"capacity": 10}, {"capacity": 2})


def test_raising_the_capacity_makes_seats_available_again():
    quota = SeatQuotaFactory(capacity=1)
    services.seats_take(quota_ids=[quota.pk])
    services.quota_set_capacity(quota=quota, capacity=2, actor=None)
    services.seats_take(quota_ids=[quota.pk])
    assert counts(quota) == (2, 2, 0)


# --------------------------------------------------------------------------- the database's own guard


@pytest.mark.parametrize("change", [
    {"held": 4},
    {"sold": 4},
    {"held": 2, "sold": 2},
    {"capacity": 1},
], ids=["held", "sold", "held+sold", "capacity"])
def test_the_database_refuses_an_oversold_quota_even_without_the_service(change):
    quota = SeatQuotaFactory(capacity=3)
    SeatQuota.objects.filter(pk=quota.pk).update(held=1, sold=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeatQuota.objects.filter(pk=quota.pk).update(**change)
    assert counts(quota) == (3, 1, 1)


def test_the_database_refuses_negative_counts():
    quota = SeatQuotaFactory(capacity=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeatQuota.objects.filter(pk=quota.pk).update(held=-1)
    assert counts(quota) == (3, 0, 0)


# --------------------------------------------------------------------------- concurrency (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_simultaneous_takes_of_a_pair_of_quotas_never_oversell():
    """30 threads take a seat in both sittings at once; 12 and 20 seats: exactly 12 pairs."""
    built = small_exam(capacities={(0, 0): 20, (0, 1): 12})
    ids = [built.quotas[(0, 0)].pk, built.quotas[(0, 1)].pk]
    threads_count = 30
    barrier = threading.Barrier(threads_count)
    outcomes = []

    def take():
        try:
            barrier.wait(timeout=10)
            services.seats_take(quota_ids=ids)
            outcomes.append("taken")
        except SeatsExhausted as exc:
            outcomes.append(("full", tuple(exc.quota_ids)))
        except Exception as exc:  # noqa: BLE001 - anything else fails the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(map(str, outcomes)) == sorted(
        ["taken"] * 12 + [str(("full", (ids[1],)))] * (threads_count - 12))
    assert counts(built.quota(0, 0)) == (20, 12, 0)
    assert counts(built.quota(0, 1)) == (12, 12, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_candidates_swapping_areas_at_the_same_time_both_succeed(monkeypatch):
    """One candidate moves 济南→青岛 while another moves 青岛→济南: both moves must go through."""
    built = small_exam(capacity=5)
    a, b = built.quota(0, 0), built.quota(1, 0)
    services.seats_take(quota_ids=[a.pk], state=services.SOLD)
    services.seats_take(quota_ids=[b.pk], state=services.SOLD)
    start = threading.Barrier(2)
    # Hold each move between its take and its give-back for up to a second, so both have taken
    # before either gives back when nothing serialises them (without it the race is luck).
    between = threading.Barrier(2, timeout=1)
    give_back = services._give_back  # what seats_move runs after its take

    def give_back_after_the_other_took(*args, **kwargs):
        try:
            between.wait()
        except threading.BrokenBarrierError:
            pass  # the other move is waiting for our lock: the intended serialisation
        return give_back(*args, **kwargs)

    monkeypatch.setattr(services, "_give_back", give_back_after_the_other_took)
    outcomes = []

    def move(from_quota, to_quota):
        try:
            start.wait(timeout=10)
            services.seats_move(from_quota_ids=[from_quota.pk], to_quota_ids=[to_quota.pk])
            outcomes.append("moved")
        except OperationalError as exc:
            outcomes.append(f"database error: {type(exc.__cause__).__name__}")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(a, b)), threading.Thread(target=move, args=(b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == ["moved", "moved"]
    assert counts(a) == (5, 0, 1)
    assert counts(b) == (5, 0, 1)
