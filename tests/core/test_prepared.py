"""Queries compiled once per process (core.prepared) give what the queryset gives, for any values."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from core.prepared import Prepared
from exams.models import Area
from registration.models import Enrollment
from tests.accounts.factories import UserFactory
from tests.exams.factories import small_exam

pytestmark = pytest.mark.django_db

BY_PK = Prepared(lambda p: User.objects.filter(pk=p.pk))
WITH_RELATED = Prepared(lambda p: Enrollment.objects.select_related("exam", "area").filter(
    pk=p.pk, candidate_id=p.candidate))
NAMES = Prepared(lambda p: Area.objects.filter(province=p.str("province")).values_list("name").order_by("name"))


def test_same_instances_as_the_orm_for_every_value():
    users = [UserFactory(), UserFactory()]
    for user in users:
        found = BY_PK.first(pk=user.pk)
        expected = User.objects.get(pk=user.pk)
        assert found == expected
        assert {f.attname: getattr(found, f.attname) for f in User._meta.concrete_fields} == \
            {f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields}
        assert found._state.adding is False and found._state.db == "default"
    assert BY_PK.first(pk=10**9) is None


def test_select_related_objects_come_in_the_same_query_and_a_missing_one_is_none():
    built = small_exam()
    user = UserFactory()
    now = timezone.now()
    with_area = Enrollment.objects.create(candidate=user, exam=built.exam, area=built.areas[1], notice_accepted_at=now)
    other = small_exam()
    without = Enrollment.objects.create(candidate=user, exam=other.exam, notice_accepted_at=now)
    with CaptureQueriesContext(connection) as captured:
        found = WITH_RELATED.first(pk=with_area.pk, candidate=user.pk)
        assert found.exam.name == built.exam.name and found.area.name == built.areas[1].name
        bare = WITH_RELATED.first(pk=without.pk, candidate=user.pk)
        assert bare.exam == other.exam and bare.area is None
    assert len(captured) == 2
    assert found.exam.registration_opens_at == built.exam.registration_opens_at  # converters applied
    assert WITH_RELATED.first(pk=with_area.pk, candidate=UserFactory().pk) is None  # another candidate's: none


def test_string_placeholders_and_plain_rows():
    Area.objects.create(province="31", name="乙城")
    Area.objects.create(province="31", name="甲城")
    Area.objects.create(province="32", name="丙城")
    assert NAMES.rows(province="31") == list(Area.objects.filter(province="31").values_list("name").order_by("name"))
    assert NAMES.rows(province="32") == [("丙城",)]
    assert NAMES.rows(province="99") == []


def test_a_lookup_that_changes_the_value_is_refused():
    contains = Prepared(lambda p: Area.objects.filter(name__contains=p.str("part")))
    with pytest.raises(ValueError, match="not preparable"):
        contains.rows(part="城")
