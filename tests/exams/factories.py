"""Factories for exams: an exam open for registration now, its subjects, sittings, areas and quotas.

`small_exam()` builds the usual fixture: two sittings (one subject each) held in two areas, so
four seat quotas."""
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import factory
from django.utils import timezone

from core.regions import Province
from exams.models import (
    Area,
    Exam,
    ExamBody,
    ExamStatus,
    ReleaseStatus,
    SeatQuota,
    SeatRelease,
    Sitting,
    Subject,
)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class ExamFactory(factory.django.DjangoModelFactory):
    """Published, registration open since yesterday and for another week, exam in two months."""

    class Meta:
        model = Exam

    name = factory.Sequence(lambda n: f"测试考试第{n}期")
    body = ExamBody.CCAA
    status = ExamStatus.PUBLISHED
    registration_opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    registration_closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    exam_starts_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))
    exam_ends_on = factory.LazyAttribute(lambda o: o.exam_starts_on + datetime.timedelta(days=1))
    notice = "考生须知：请认真阅读。"


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    exam = factory.SubFactory(ExamFactory)
    name = factory.Sequence(lambda n: f"科目{n}")
    code = factory.Sequence(lambda n: f"S{n}")
    fee = Decimal("80.00")


class SittingFactory(factory.django.DjangoModelFactory):
    """A two-hour slot on the first exam day; successive sittings start at 9:00 and 14:00."""

    class Meta:
        model = Sitting

    exam = factory.SubFactory(ExamFactory)
    name = factory.Sequence(lambda n: f"第{n + 1}场")
    starts_at = factory.LazyAttributeSequence(lambda o, n: _at(o.exam.exam_starts_on, (9, 14)[n % 2]))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    province = Province.SHANDONG
    name = factory.Sequence(lambda n: f"测试考区{n}")
    order = factory.Sequence(lambda n: n % 1000)


class SeatQuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeatQuota

    exam = factory.SubFactory(ExamFactory)
    area = factory.SubFactory(AreaFactory)
    sitting = factory.SubFactory(SittingFactory, exam=factory.SelfAttribute("..exam"))
    capacity = 50


class SeatReleaseFactory(factory.django.DjangoModelFactory):
    """A scheduled release written directly (the service would apply a due one at once)."""

    class Meta:
        model = SeatRelease

    quota = factory.SubFactory(SeatQuotaFactory)
    seats = 5
    release_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=1))
    status = ReleaseStatus.SCHEDULED


@dataclass
class SmallExam:
    exam: Exam
    sittings: list[Sitting]
    subjects: list[Subject]  # subjects[i] is offered in sittings[i]
    areas: list[Area]
    quotas: dict[tuple[int, int], SeatQuota] = field(default_factory=dict)  # (area index, sitting index)

    def quota(self, area: int, sitting: int) -> SeatQuota:
        quota = self.quotas[(area, sitting)]
        quota.refresh_from_db()
        return quota


def small_exam(capacity: int = 10, capacities: dict[tuple[int, int], int] | None = None, **exam_fields) -> SmallExam:
    """An open exam with two sittings and two areas; `capacities[(area, sitting)]` overrides `capacity`.

    Quotas are created area by area, sitting by sitting, so their ids follow that order."""
    exam = ExamFactory(**exam_fields)
    sittings = [SittingFactory(exam=exam, name="第一场", starts_at=_at(exam.exam_starts_on, 9)),
                SittingFactory(exam=exam, name="第二场", starts_at=_at(exam.exam_starts_on, 14))]
    subjects = []
    for sitting in sittings:
        subject = SubjectFactory(exam=exam)
        sitting.subjects.add(subject)
        subjects.append(subject)
    areas = [AreaFactory(), AreaFactory()]
    built = SmallExam(exam=exam, sittings=sittings, subjects=subjects, areas=areas)
    for a, area in enumerate(areas):
        for s, sitting in enumerate(sittings):
            seats = (capacities or {}).get((a, s), capacity)
            built.quotas[(a, s)] = SeatQuotaFactory(exam=exam, area=area, sitting=sitting, capacity=seats)
    return built
