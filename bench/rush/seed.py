"""Seeding for the registration rush: the exam, its seats and N candidates, with bulk_create.

Runs in the launcher after django.setup() with config.settings.bench and the throwaway database.
No services and no signals: users (one shared password hash, computed once with the bench's first
hasher, MD5), one education record each, one approved photo each (every Photo row points at the
same small processed JPEG on disk), then the exam. Each candidate gets a first-choice area and
subjects. The hot areas (北京, 上海) get a tenth of the seats their first-choice demand needs (first
over all N; before the opening, size_hot_areas() resizes them to the candidates the window will
take). Every other area has enough seats for every candidate of that sitting, so no one who falls
back is left out.

Registration opens a day from now; the launcher moves `registration_opens_at` to a few seconds
ahead once the candidates have logged in (open_registration).

On top of the N candidates of the flow (and the probe's two), `pages` and `takes` more candidates
are seeded for the launcher's pages and takes phases (bench/rush/prepare.py gives them sessions
and enrollments later). Their plans come from a random generator of their own, so the flow's
candidates, their order and the quotas are the same whatever those numbers are; the takes
candidates all have a hot first-choice area (北京 or 上海, in the ratio of HOT_SHARE).
size_takes_quotas() adds seats to the hot quotas for the takes phase."""
from __future__ import annotations

import datetime
import math
import random
import time
from decimal import Decimal

PASSWORD = "Rush#2026bench"
BATCH = 5000
PROBES = 2  # spare candidates for bench/rush/probe.py, not in the rush
HOT_AREAS = ("北京", "上海")
# Share of the candidates whose first choice is each hot area; the rest choose among the others.
HOT_SHARE = {"北京": 0.30, "上海": 0.20}
HOT_CAPACITY_FRACTION = 10  # a hot area gets 1/10 of its first-choice demand
TAKES_SEATS_SHARE = 0.5  # the takes phase adds seats for half the burst's demand on each hot quota
# Which sittings a candidate takes: both, the first only, the second only.
SITTING_MIX = ((0.70, (0, 1)), (0.15, (0,)), (0.15, (1,)))
ID_REGIONS = ("110101", "310104", "370102", "440106", "320106", "330106", "420102", "510104")
ETHNICITY_HAN = "01"
EDUCATION = ("bachelor", "master", "junior_college", "doctorate")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌云飞鹏宇浩然欣怡子涵梓轩"


def id_number(i: int) -> tuple[str, datetime.date, str]:
    """A unique, well-formed 18-digit resident ID number (GB 11643), its birth date and gender."""
    born = datetime.date(1975, 1, 1) + datetime.timedelta(days=(i // 1000) * 37 % 9000)
    sequence = i % 1000
    body = f"{ID_REGIONS[(i // 1000) % len(ID_REGIONS)]}{born:%Y%m%d}{sequence:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
    return body + check, born, "M" if sequence % 2 else "F"


def name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + ("" if i % 3 else GIVEN[(i // 3) % len(GIVEN)])


def _shared_photo_files() -> tuple[str, str]:
    """One original and one standard JPEG on private storage, shared by every seeded Photo row."""
    from django.core.files.base import ContentFile

    from photos import samples
    from photos.models import private_storage

    original, processed = "photos/original/bench-rush/original.jpg", "photos/processed/bench-rush/standard.jpg"
    for path, data in ((original, samples.good_photo()),
                       (processed, samples.jpeg(samples.portrait().resize((215, 300)), 80))):
        if private_storage.exists(path):
            private_storage.delete(path)
        private_storage.save(path, ContentFile(data))
    return original, processed


def _plan_candidates(candidates: int, areas: list, rng: random.Random, hot_only: bool = False) -> list[dict]:
    """Each candidate's first-choice area and sittings (indexes into the exam's sittings); with
    `hot_only`, the first choice is a hot area, in the ratio of their HOT_SHARE."""
    hot = [a for a in areas if a.name in HOT_AREAS]
    cold = [a for a in areas if a.name not in HOT_AREAS]
    plans = []
    for _i in range(candidates):
        roll, first = rng.random() * (sum(HOT_SHARE.values()) if hot_only else 1.0), None
        for area in hot:
            share = HOT_SHARE[area.name]
            if roll < share:
                first = area
                break
            roll -= share
        first = first or rng.choice(cold)
        roll = rng.random()
        for share, sittings in SITTING_MIX:
            if roll < share:
                break
            roll -= share
        plans.append({"first_area": first.pk, "sittings": sittings, "second_subject": rng.randrange(4)})
    return plans


def seed(candidates: int, *, pages: int = 0, takes: int = 0, seed_value: int = 2026, log=print) -> dict:
    """Create everything; returns the plan the load generator needs (ids, candidates, capacities).

    `candidates` are the flow's; `pages` and `takes` more are returned apart ("pages", "takes")."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import EducationRecord, User, VerificationStatus
    from exams import demo
    from exams.models import (
        Area,
        Exam,
        ExamBody,
        ExamStatus,
        ReviewMode,
        SeatQuota,
        Sitting,
        Subject,
        Venue,
    )
    from photos.models import Photo, PhotoStatus

    rng = random.Random(seed_value)
    timings = {}
    now = timezone.now()
    today = timezone.localdate()

    started = time.perf_counter()
    areas = []
    for order, (city, province, address, _s1, _s2) in enumerate(demo.AREAS):
        area, _created = Area.objects.get_or_create(province=province, name=city, defaults={"order": order})
        Venue.objects.get_or_create(area=area, name=f"{city}考点", defaults={"address": address})
        areas.append(area)
    exam_day = today + datetime.timedelta(days=60)
    exam = Exam.objects.create(
        name=f"{today.year}年认证人员注册全国统一考试（报名高峰压测）", body=ExamBody.CCAA, status=ExamStatus.PUBLISHED,
        registration_opens_at=now + datetime.timedelta(days=1), registration_closes_at=now + datetime.timedelta(days=8),
        refund_opens_at=now + datetime.timedelta(days=1), refund_closes_at=now + datetime.timedelta(days=8),
        exam_starts_on=exam_day, exam_ends_on=exam_day, notice=demo.NOTICE, commitment=demo.COMMITMENT,
        review_mode=ReviewMode.NONE)
    sittings = []
    for index, (label, hour, offered) in enumerate((("第一场", 9, demo.SITTING_1_SUBJECTS),
                                                    ("第二场", 14, demo.SITTING_2_SUBJECTS))):
        starts = timezone.make_aware(datetime.datetime.combine(exam_day, datetime.time(hour)))
        sitting = Sitting.objects.create(exam=exam, name=label, starts_at=starts,
                                         ends_at=starts + datetime.timedelta(hours=2))
        for code, subject_name in offered:
            sitting.subjects.add(Subject.objects.create(exam=exam, code=code, name=subject_name, fee=Decimal("80.00")))
        sittings.append(sitting)
    subjects = [list(s.subjects.order_by("code")) for s in sittings]
    timings["exam_s"] = time.perf_counter() - started

    plans = _plan_candidates(candidates + PROBES, areas, rng)  # the last ones are the probe's (bench/rush/probe.py)
    extra_rng = random.Random(seed_value + 1)  # the flow's plans and arrival order do not depend on the extras
    extras = _plan_candidates(pages, areas, extra_rng) + _plan_candidates(takes, areas, extra_rng, hot_only=True)
    demand = {(p["first_area"], index): 0 for p in plans for index in (0, 1)}
    for plan in plans:
        for index in plan["sittings"]:
            demand[(plan["first_area"], index)] = demand.get((plan["first_area"], index), 0) + 1
    takers = [sum(1 for p in plans if index in p["sittings"]) for index in (0, 1)]
    capacities = {}
    for area in areas:
        for index, sitting in enumerate(sittings):
            if area.name in HOT_AREAS:
                capacity = max(1, math.ceil(demand.get((area.pk, index), 0) / HOT_CAPACITY_FRACTION))
            else:
                capacity = takers[index]  # enough for every candidate of the sitting
            SeatQuota.objects.create(exam=exam, area=area, sitting=sitting, capacity=capacity)
            capacities[f"{area.name}/{sitting.name}"] = {"capacity": capacity,
                                                          "first_choice_demand": demand.get((area.pk, index), 0)}

    started = time.perf_counter()
    original, processed = _shared_photo_files()
    password = make_password(PASSWORD)  # the bench's first hasher (MD5): see config/settings/bench.py
    hasher = password.split("$", 1)[0]
    timings["photo_files_s"] = time.perf_counter() - started

    started = time.perf_counter()
    people = []
    total = candidates + PROBES + pages + takes
    plans = plans + extras
    for first in range(0, total, BATCH):
        indexes = range(first, min(first + BATCH, total))
        rows = []
        for i in indexes:
            number, born, gender = id_number(i)
            user = User(username=f"rush{i:06d}", password=password, name=name(i), id_type="resident_id",
                        gender=gender, birth_date=born, email=f"rush{i:06d}@bench.example.org",
                        mobile=f"138{i:08d}", mobile_verified_at=now, identity_status=VerificationStatus.VERIFIED,
                        agreement_accepted_at=now, date_joined=now)
            user.set_id_number(number)
            rows.append(user)
        with transaction.atomic():
            users = User.objects.bulk_create(rows, batch_size=1000)
            EducationRecord.objects.bulk_create([
                EducationRecord(user=user, level=EDUCATION[i % len(EDUCATION)], school="北京大学", major="质量管理",
                                graduated_on=datetime.date(2000 + i % 20, 7, 1))
                for i, user in zip(indexes, users)], batch_size=2000)
            Photo.objects.bulk_create([
                Photo(owner=user, profile="ccaa", status=PhotoStatus.APPROVED, original=original, processed=processed,
                      original_name="照片.jpg", checked_at=now, decided_at=now)
                for user in users], batch_size=2000)
        for i, user in zip(indexes, users):
            plan = plans[i]
            choices = {}
            for index in plan["sittings"]:
                offered = subjects[index]
                subject = offered[0] if len(offered) == 1 else offered[plan["second_subject"] % len(offered)]
                choices[f"sitting_{sittings[index].pk}"] = str(subject.pk)
            people.append({"username": user.username, "mobile": user.mobile, "email": user.email,
                           "first_area": plan["first_area"], "choices": choices,
                           "address": f"127.{64 + i // 65025 % 64}.{i // 255 % 255}.{i % 255 + 1}"})
        done = first + len(indexes)
        if done % 20000 == 0 or done == total:
            log(f"  {done:,} candidates seeded ({time.perf_counter() - started:.1f} s)")
    timings["candidates_s"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would leave them
        cursor.execute("ANALYZE")
    timings["analyze_s"] = time.perf_counter() - started

    extra_people = people[candidates + PROBES:]
    del people[candidates + PROBES:]
    probes = [people.pop() for _ in range(PROBES)]
    for probe in probes:
        probe["probe_area"] = next(a.pk for a in areas if a.name not in HOT_AREAS)
    rng.shuffle(people)  # arrival order: hot and other first choices mixed
    return {
        "exam_id": exam.pk, "password": PASSWORD, "password_hasher": hasher,
        "areas": {str(a.pk): a.name for a in areas}, "hot_area_ids": [a.pk for a in areas if a.name in HOT_AREAS],
        "sittings": {str(s.pk): s.name for s in sittings}, "capacities": capacities,
        "candidates": people, "probes": probes, "pages": extra_people[:pages], "takes": extra_people[pages:],
        "timings": timings,
    }


def _hot_demand(plan: dict, people: list[dict]) -> dict[tuple[int, str], int]:
    """(hot area id, sitting id) -> how many of `people` want a seat there as their first choice."""
    hot = set(plan["hot_area_ids"])
    demand: dict[tuple[int, str], int] = {}
    for person in people:
        if person["first_area"] in hot:
            for field in person["choices"]:
                key = (person["first_area"], field.removeprefix("sitting_"))
                demand[key] = demand.get(key, 0) + 1
    return demand


def _resize_hot_quotas(plan: dict, demand: dict, capacity_for) -> dict:
    """Set each hot quota's capacity to capacity_for(quota, its demand); refresh the displayed figures."""
    from exams import availability
    from exams.models import SeatQuota

    sized = {}
    for quota in (SeatQuota.objects.filter(exam_id=plan["exam_id"], area_id__in=plan["hot_area_ids"])
                  .select_related("area", "sitting").order_by("pk")):
        wanted = demand.get((quota.area_id, str(quota.sitting_id)), 0)
        capacity = capacity_for(quota, wanted)
        SeatQuota.objects.filter(pk=quota.pk).update(capacity=capacity)
        sized[f"{quota.area.name}/{quota.sitting.name}"] = {
            "quota_id": quota.pk, "capacity": capacity, "first_choice_demand": wanted,
            "held_before": quota.held, "sold_before": quota.sold}
    availability.refresh(plan["exam_id"])
    return sized


def size_hot_areas(plan: dict, arrivals: int, fixed: int | None = None) -> dict:
    """Give each hot quota a tenth of the first-choice demand of the first `arrivals` candidates of
    the rush (or `fixed` seats), before the window opens; every other quota keeps seats for all.

    The machine cannot take all N candidates through the flow within the run's time bound, so
    "a tenth of the demand" is sized on the candidates who will get there, estimated by the
    launcher from the login phase's request rate: that way the hot areas really do sell out."""
    return _resize_hot_quotas(plan, _hot_demand(plan, plan["candidates"][:arrivals]), lambda _quota, wanted: (
        fixed if fixed else max(1, math.ceil(wanted / HOT_CAPACITY_FRACTION))))


def size_takes_quotas(plan: dict, takes: list[dict], fixed: int | None = None) -> dict:
    """Before the takes phase: each hot quota keeps what the flow took and gets new seats for half
    the burst's demand on it (or `fixed` new seats), so it sells out during the burst and about
    half of the takes are refused."""
    return _resize_hot_quotas(plan, _hot_demand(plan, takes), lambda quota, wanted: (
        quota.held + quota.sold + (fixed if fixed is not None else max(1, math.ceil(wanted * TAKES_SEATS_SHARE)))))


def open_registration(exam_id: int, delay_s: float) -> float:
    """Registration opens `delay_s` seconds from now; returns the opening as a Unix timestamp."""
    from django.utils import timezone

    from exams.models import Exam

    opens = timezone.now() + datetime.timedelta(seconds=delay_s)
    Exam.objects.filter(pk=exam_id).update(registration_opens_at=opens)
    return opens.timestamp()
