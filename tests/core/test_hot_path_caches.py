"""What the rush's hot path keeps in memory stays correct: the exam catalogue follows changes, the
Redis cache reuses its client."""
import pytest
from django.conf import settings
from django.core.cache import cache

from exams import catalogue
from exams.models import Subject
from tests.exams.factories import small_exam

pytestmark = pytest.mark.django_db


def test_catalogue_follows_a_change_saved_on_the_exam():
    built = small_exam()
    assert [s.name for s in catalogue.of(built.exam).sittings[0].subject_list] == [built.subjects[0].name]
    added = Subject.objects.create(exam=built.exam, name="新科目", code="ZZZ", fee="70.00")
    built.sittings[0].subjects.add(added)
    built.exam.save()  # admin saves the exam with its inlines: updated_at moves
    names = [s.name for s in catalogue.of(built.exam).sittings[0].subject_list]
    assert names == [built.subjects[0].name, "新科目"]
    assert catalogue.of(built.exam).fees[str(added.pk)] == "70.00"


def test_catalogue_lists_the_areas_holding_the_exam_in_display_order():
    built, other = small_exam(), small_exam()
    assert [a.pk for a in catalogue.of(built.exam).areas] == sorted(
        [a.pk for a in built.areas], key=lambda pk: [a.pk for a in built.areas].index(pk))
    assert not {a.pk for a in catalogue.of(built.exam).areas} & {a.pk for a in other.areas}


@pytest.mark.redis
def test_redis_cache_keeps_one_client_per_connection_pool():
    assert settings.CACHES["default"]["BACKEND"] == "core.cache.RedisCache"
    client = cache._cache.get_client("k")
    assert cache._cache.get_client("other", write=True) is client
    cache.set("hot-path-check", {"seats": 3})
    assert cache.get("hot-path-check") == {"seats": 3}
