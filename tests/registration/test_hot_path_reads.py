"""The reads every wizard page and every seat take start with, written as ordinary querysets: what
they return, how many queries they cost, and the ORM's own guards that come with them."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import LoginBackend
from registration import selectors
from registration.models import Enrollment
from registration.services import enrollment_lock
from tests.accounts.factories import UserFactory
from tests.exams.factories import small_exam

pytestmark = pytest.mark.django_db


def test_the_wizard_reads_its_enrollment_with_exam_and_area_in_one_query():
    built, other = small_exam(), small_exam()
    user = UserFactory()
    now = timezone.now()
    with_area = Enrollment.objects.create(candidate=user, exam=built.exam, area=built.areas[1], notice_accepted_at=now)
    without = Enrollment.objects.create(candidate=user, exam=other.exam, notice_accepted_at=now)
    with CaptureQueriesContext(connection) as captured:
        found = selectors.enrollment_for_user(with_area.pk, user)
        assert found.exam.name == built.exam.name and found.area.name == built.areas[1].name
        bare = selectors.enrollment_for_user(without.pk, user)
        assert bare.exam == other.exam and bare.area is None
        assert found.candidate is user  # the request's user: no second load
    assert len(captured) == 2
    assert found.exam.registration_opens_at == built.exam.registration_opens_at


def test_another_candidates_enrollment_is_not_found():
    built = small_exam()
    enrollment = Enrollment.objects.create(candidate=UserFactory(), exam=built.exam, notice_accepted_at=timezone.now())
    with pytest.raises(Http404):
        selectors.enrollment_for_user(enrollment.pk, UserFactory())


@pytest.mark.django_db(transaction=True)  # the test itself outside a transaction
def test_the_enrollment_lock_is_refused_outside_a_transaction():
    """A row lock outside a transaction would be released at once."""
    built = small_exam()
    enrollment = Enrollment.objects.create(candidate=UserFactory(), exam=built.exam, notice_accepted_at=timezone.now())
    with pytest.raises(RuntimeError):
        enrollment_lock(enrollment)
    with transaction.atomic():
        locked = enrollment_lock(enrollment)
    assert (locked.pk, locked.exam, locked.candidate) == (enrollment.pk, built.exam, enrollment.candidate)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_locking_read_keeps_the_orms_guard():
    """The services' locking read is an ordinary queryset, so Django's own guard applies to it: no
    SELECT … FOR UPDATE outside a transaction (the compiled-once reads it replaced ran it silently)."""
    from registration.services.enrollment import _lock

    built = small_exam()
    enrollment = Enrollment.objects.create(candidate=UserFactory(), exam=built.exam, notice_accepted_at=timezone.now())
    with pytest.raises(TransactionManagementError):
        _lock(enrollment)


def test_each_request_loads_its_user_in_full_and_not_an_inactive_one():
    user = UserFactory(name="王五")
    loaded = LoginBackend().get_user(user.pk)
    fields = [field.attname for field in get_user_model()._meta.concrete_fields]
    assert [getattr(loaded, name) for name in fields] == [getattr(user, name) for name in fields]
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert LoginBackend().get_user(user.pk) is None
    assert LoginBackend().get_user(10**9) is None
