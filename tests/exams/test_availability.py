"""Seats left as candidates see them: served from the cache, refreshed after each committed seat
change and by the beat task; the database stays the only judge (exams.services)."""
import pickle

import pytest
from django.conf import settings
from django.core.cache import cache

from exams import availability, services, tasks
from exams.exceptions import SeatsExhausted
from exams.models import SeatQuota
from tests.exams.factories import small_exam

pytestmark = pytest.mark.django_db


def left(built, area: int, sitting: int) -> int:
    """What a candidate is shown for one area and sitting."""
    return availability.seats_left(built.exam.pk)[(built.areas[area].pk, built.sittings[sitting].pk)]


def test_every_area_and_sitting_is_listed_with_its_seats_left():
    built = small_exam(capacities={(0, 0): 5, (0, 1): 4, (1, 0): 3, (1, 1): 0})
    SeatQuota.objects.filter(pk=built.quotas[(0, 1)].pk).update(held=1, sold=2)
    areas, sittings = built.areas, built.sittings
    assert availability.seats_left(built.exam.pk) == {
        (areas[0].pk, sittings[0].pk): 5,
        (areas[0].pk, sittings[1].pk): 1,
        (areas[1].pk, sittings[0].pk): 3,
        (areas[1].pk, sittings[1].pk): 0,
    }


def test_other_exams_are_not_mixed_in():
    built, other = small_exam(capacity=5), small_exam(capacity=7)
    assert set(availability.seats_left(built.exam.pk).values()) == {5}
    assert set(availability.seats_left(other.exam.pk).values()) == {7}


def test_a_taken_seat_shows_once_the_change_is_committed(on_commit):
    built = small_exam(capacity=5)
    assert left(built, 0, 0) == 5  # the figures are now in the cache
    with on_commit():
        services.seats_take(quota_ids=[built.quotas[(0, 0)].pk, built.quotas[(0, 1)].pk])
    assert left(built, 0, 0) == 4
    assert left(built, 0, 1) == 4
    assert left(built, 1, 0) == 5


def test_a_seat_given_back_shows_once_the_change_is_committed(on_commit):
    built = small_exam(capacity=5)
    quota = built.quotas[(1, 1)]
    SeatQuota.objects.filter(pk=quota.pk).update(held=5)
    assert left(built, 1, 1) == 0
    with on_commit():
        services.seats_give_back(quota_ids=[quota.pk])
    assert left(built, 1, 1) == 1


def test_released_seats_show_once_the_release_is_committed(on_commit):
    built = small_exam(capacity=2)
    quota = built.quotas[(0, 1)]
    assert left(built, 0, 1) == 2
    with on_commit():
        services.quota_release_seats(quota=quota, seats=8, actor=None)
    assert left(built, 0, 1) == 10


def test_a_rolled_back_take_does_not_change_what_is_shown(on_commit):
    built = small_exam(capacities={(0, 0): 5, (0, 1): 0, (1, 0): 5, (1, 1): 5})
    assert left(built, 0, 0) == 5
    with on_commit(), pytest.raises(SeatsExhausted):
        services.seats_take(quota_ids=[built.quotas[(0, 0)].pk, built.quotas[(0, 1)].pk])
    assert left(built, 0, 0) == 5
    availability.refresh(built.exam.pk)
    assert left(built, 0, 0) == 5


def test_the_figures_are_served_from_the_cache_until_refreshed():
    built = small_exam(capacity=5)
    assert left(built, 0, 0) == 5
    # A change that bypasses the service (so no refresh is queued) is not seen: the cache answered.
    SeatQuota.objects.filter(pk=built.quotas[(0, 0)].pk).update(held=3)
    assert left(built, 0, 0) == 5
    availability.refresh(built.exam.pk)
    assert left(built, 0, 0) == 2


def test_the_refresh_waits_for_the_commit(django_capture_on_commit_callbacks):
    built = small_exam(capacity=5)
    assert left(built, 0, 0) == 5
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.seats_take(quota_ids=[built.quotas[(0, 0)].pk])
    assert len(callbacks) == 1  # queued for after the commit, not run inside the transaction
    assert left(built, 0, 0) == 5


def test_the_beat_task_refreshes_every_published_exam():
    built, other = small_exam(capacity=5), small_exam(capacity=5)
    assert left(built, 0, 0) == 5 and left(other, 1, 1) == 5
    SeatQuota.objects.filter(pk=built.quotas[(0, 0)].pk).update(sold=5)
    SeatQuota.objects.filter(pk=other.quotas[(1, 1)].pk).update(capacity=9)
    assert left(built, 0, 0) == 5 and left(other, 1, 1) == 5
    tasks.refresh_open_availability.delay()
    assert left(built, 0, 0) == 0
    assert left(other, 1, 1) == 9


@pytest.mark.redis
def test_the_figures_live_in_redis_for_a_short_while():
    """Every web process and the worker share them: they are in Redis, not in one process's memory."""
    import redis

    assert settings.CACHES["default"]["BACKEND"] == "core.cache.RedisCache"
    built = small_exam(capacity=5)
    expected = availability.seats_left(built.exam.pk)
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = cache.make_and_validate_key(f"availability:v1:{built.exam.pk}")
    raw = client.get(key)
    assert raw is not None, f"{key} is not in Redis"
    stored = pickle.loads(raw)
    assert {tuple(int(p) for p in k.split(":")): v for k, v in stored.items()} == expected
    assert 0 < client.ttl(key) <= availability.TTL_SECONDS
    # Another process refreshing (here: a direct write to Redis) is what this process shows.
    stored[f"{built.areas[0].pk}:{built.sittings[0].pk}"] = 1
    client.set(key, pickle.dumps(stored), ex=availability.TTL_SECONDS)
    assert left(built, 0, 0) == 1
    client.delete(key)
    assert left(built, 0, 0) == 5


def test_the_seats_page_reads_the_exam_row_from_the_catalogue_for_a_few_seconds(client, django_assert_num_queries):
    """The seats table is display only: its exam row is kept per process (at most TTL seconds), an
    unknown id is still a 404 and never kept."""
    from django.urls import reverse

    from exams import catalogue

    built = small_exam()
    url = reverse("exams:availability", args=[built.exam.pk])
    assert client.get(url).status_code == 200
    with django_assert_num_queries(0):  # exam, sittings and areas from memory; seats from the cache
        assert client.get(url).status_code == 200
    assert client.get(reverse("exams:availability", args=[built.exam.pk + 1000])).status_code == 404
