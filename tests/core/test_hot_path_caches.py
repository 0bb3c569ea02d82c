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
    built.areas[0].order, built.areas[1].order = 2, 1
    for area in built.areas:
        area.save()
    assert catalogue.of(built.exam).areas == [built.areas[1], built.areas[0]]
    assert not {a.pk for a in catalogue.of(built.exam).areas} & {a.pk for a in other.areas}


def test_a_subject_the_catalogue_does_not_list_yet_is_still_shown_as_chosen():
    from registration.models import Enrollment, EnrollmentSubject
    from registration.selectors import chosen_subjects
    from tests.accounts.factories import UserFactory

    built = small_exam()
    catalogue.of(built.exam)  # built before the new subject: without the exam being saved
    added = Subject.objects.create(exam=built.exam, name="新科目", code="ZZZ", fee="70.00")
    built.sittings[1].subjects.add(added)
    enrollment = Enrollment.objects.create(candidate=UserFactory(), exam=built.exam,
                                           notice_accepted_at=built.exam.registration_opens_at)
    EnrollmentSubject.objects.create(enrollment=enrollment, sitting=built.sittings[0], subject=built.subjects[0])
    EnrollmentSubject.objects.create(enrollment=enrollment, sitting=built.sittings[1], subject=added)
    assert [(c.sitting, c.subject.name) for c in chosen_subjects(enrollment)] == [
        (built.sittings[0], built.subjects[0].name), (built.sittings[1], "新科目")]


@pytest.mark.redis
def test_redis_cache_keeps_one_client_per_connection_pool():
    assert settings.CACHES["default"]["BACKEND"] == "core.cache.RedisCache"
    client = cache._cache.get_client("k")
    assert cache._cache.get_client("other", write=True) is client
    cache.set("hot-path-check", {"seats": 3})
    assert cache.get("hot-path-check") == {"seats": 3}
