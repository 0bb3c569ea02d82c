"""Staff-side fixtures: the demo exam with paid candidates in three areas, registration closed.

Paid enrollments are built through registration.services only (start, info, subjects, area,
confirm, seats_take, seats_sell), then registration is closed by moving registration_closes_at into
the past. Users: a superuser, an exam administrator, association staff, a staff member allowed to see
full ID numbers and a provincial authority of Shandong (37: 济南 and 青岛 are Shandong areas in exams.demo)."""
from __future__ import annotations

import datetime
import itertools
import os
import shutil
from dataclasses import dataclass, field
from functools import lru_cache

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import ImageDraw

from exams import demo
from exams.models import Area, Exam, Sitting, Subject
from photos import samples as images
from photos.models import Photo, PhotoStatus
from registration import services
from registration.models import Enrollment
from tests.accounts.factories import EducationFactory, UserFactory
from tests.registration.conftest import INFO

SHANDONG, BEIJING = "37", "11"


def info(**extra) -> dict:
    data = {**INFO, "invoice_wanted": False, "invoice_type": "", "invoice_title": "", "invoice_tax_number": "",
            "province": "", "employer": ""}
    data.update(extra)
    return data


@lru_cache(maxsize=1)
def _sample():
    """The sample portrait is slow to draw: made once per run (tests.photos.factories draws it each time)."""
    portrait = images.portrait()
    return images.jpeg(portrait), portrait.resize((215, 300))


_marks = itertools.count(1)


def give_photo(user) -> Photo:
    """An approved photo as if the check had passed; each processed image differs (a coloured mark),
    so a photo in an export can be told apart from another candidate's."""
    original, standard = _sample()
    n = next(_marks)
    image = standard.copy()
    ImageDraw.Draw(image).rectangle((0, 0, 30, 30), fill=((n * 53) % 256, (n * 97) % 256, (n * 31) % 256))
    photo = Photo(owner=user, profile="ccaa", status=PhotoStatus.APPROVED, decided_at=timezone.now(),
                  checked_at=timezone.now())
    photo.original.save("original.jpg", ContentFile(original), save=False)
    photo.processed.save("standard.jpg", ContentFile(images.jpeg(image, 80)), save=False)
    photo.save()
    return photo


def make_candidate(name: str):
    user = UserFactory(name=name)
    EducationFactory(user=user)
    give_photo(user)
    return user


def walk(candidate, exam, sittings, area, *, second: str | None = "QMS") -> Enrollment:
    """The wizard to the end and confirmed (D3–D7)."""
    enrollment = services.enrollment_start(candidate=candidate, exam=exam)
    services.enrollment_save_info(enrollment=enrollment, actor=candidate, data=info())
    picks = {sittings[0].pk: Subject.objects.get(exam=exam, code="GB").pk,
             sittings[1].pk: Subject.objects.get(exam=exam, code=second).pk if second else None}
    services.enrollment_choose_subjects(enrollment=enrollment, actor=candidate, subject_by_sitting=picks)
    services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=area.pk)
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    assert enrollment.status == "confirmed"
    return enrollment


def pay(enrollment) -> Enrollment:
    services.enrollment_seats_take(enrollment=enrollment, actor=enrollment.candidate)
    services.enrollment_seats_sell(enrollment=enrollment, actor=None)
    assert enrollment.status == "enrolled"
    return enrollment


def close_registration(exam: Exam) -> Exam:
    Exam.objects.filter(pk=exam.pk).update(registration_closes_at=timezone.now() - datetime.timedelta(minutes=1))
    exam.refresh_from_db()
    assert not exam.registration_is_open()
    return exam


@dataclass
class World:
    exam: Exam
    sittings: list
    areas: dict  # city → Area
    paid: dict = field(default_factory=dict)  # name → enrolled Enrollment
    unpaid: dict = field(default_factory=dict)  # name → enrollment holding unpaid seats

    def candidate(self, name):
        return (self.paid.get(name) or self.unpaid[name]).candidate


# (name, city, subject of the second sitting or None)
PAID = [("张三", "济南", "QMS"), ("李四", "济南", "EMS"), ("王五", "济南", None), ("赵六", "青岛", "QMS"),
        ("钱七", "北京", "QMS")]


@pytest.fixture
def exam(db):
    return demo.seed()


@pytest.fixture
def sittings(exam):
    return list(Sitting.objects.filter(exam=exam).order_by("starts_at"))


@pytest.fixture(scope="module")
def _built(django_db_setup, django_db_blocker):
    """The candidates are built once per test module, in a transaction rolled back after the module's
    last test; each test runs in a savepoint inside it (pytest-django's TestCase atomics nest), so
    what a test changes is undone for the next one. Returns primary keys only: every test reads
    fresh objects (open_world)."""
    with django_db_blocker.unblock(), transaction.atomic():
        exam = demo.seed()
        sittings = list(Sitting.objects.filter(exam=exam).order_by("starts_at"))
        areas = {city: Area.objects.get(name=city) for city in ("济南", "青岛", "北京")}
        paid = {name: pay(walk(make_candidate(name), exam, sittings, areas[city], second=second)).pk
                for name, city, second in PAID}
        unpaid = walk(make_candidate("孙八"), exam, sittings, areas["济南"])
        services.enrollment_seats_take(enrollment=unpaid, actor=unpaid.candidate)
        yield {"exam": exam.pk, "paid": paid, "unpaid": {"孙八": unpaid.pk}}
        transaction.set_rollback(True)


@pytest.fixture
def open_world(_built, db) -> World:
    """Paid candidates (济南 ×3, 青岛, 北京) and one unpaid order (孙八, 济南); registration still open."""
    exam = Exam.objects.get(pk=_built["exam"])
    assert exam.registration_is_open()
    enrollments = Enrollment.objects.select_related("candidate", "exam", "area")
    return World(exam=exam, sittings=list(Sitting.objects.filter(exam=exam).order_by("starts_at")),
                 areas={city: Area.objects.get(name=city) for city in ("济南", "青岛", "北京")},
                 paid={name: enrollments.get(pk=pk) for name, pk in _built["paid"].items()},
                 unpaid={name: enrollments.get(pk=pk) for name, pk in _built["unpaid"].items()})


@pytest.fixture
def world(open_world) -> World:
    """The same, registration closed."""
    close_registration(open_world.exam)
    return open_world


@pytest.fixture
def allocated(world, superuser) -> World:
    result = services.tickets_allocate(exam=world.exam, actor=superuser)
    assert result == {"created": 9, "voided": 0, "unplaced": 0}
    return world


# --------------------------------------------------------------------------- staff users


def staff_user(username: str, *, groups=(), perms=(), province: str = "", superuser: bool = False):
    user = UserFactory(username=username, name=f"工作人员{username}", is_staff=True, is_superuser=superuser,
                       province=province)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    for dotted in perms:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


@pytest.fixture
def superuser(db):
    return staff_user("boss", superuser=True)


@pytest.fixture
def exam_admin(db):
    return staff_user("examadmin", groups=["exam_administrator"])


@pytest.fixture
def association_staff(db):
    return staff_user("assoc", groups=["association_staff"])


@pytest.fixture
def other_admin(db):
    return staff_user("examadmin2", groups=["exam_administrator"])


@pytest.fixture
def id_viewer(db):
    return staff_user("idviewer", groups=["exam_administrator"], perms=["accounts.view_full_id_number"])


@pytest.fixture
def provincial(db):
    return staff_user("shandong", groups=["provincial_authority"], province=SHANDONG)


# --------------------------------------------------------------------------- poppler


def need_tool(name: str) -> str:
    """poppler-utils: CI installs it (REQUIRE_BROWSER=1), where a missing tool fails instead of skipping."""
    path = shutil.which(name)
    if os.environ.get("REQUIRE_BROWSER") == "1":
        assert path, f"REQUIRE_BROWSER=1 but {name} (poppler-utils) is not installed"
    elif path is None:
        pytest.skip(f"needs {name} from poppler-utils (apt-get install poppler-utils)")
    return path
