"""Candidates for the pages and takes phases, made ready in the launcher: no login over HTTP.

Runs in the launcher (django.setup() with config.settings.bench) after the flow phase, while the
registration window is open, for the candidates seed.py seeded apart from the flow's:

- A session each, as django.contrib.auth.login leaves it: the user's id, the backend
  (settings.AUTHENTICATION_BACKENDS[0], accounts.backends.LoginBackend) and the user's session
  hash (get_session_auth_hash), saved through the configured SESSION_ENGINE (core.sessions: a row
  in PostgreSQL and a copy in Redis, as a login leaves them). The load generator sends the key as
  the session cookie (SESSION_COOKIE_NAME).
- An enrollment each, with bulk_create, as the wizard's services leave it (services/enrollment.py)
  after the steps the flow takes: the notice accepted (enrollment_start: mobile and e-mail from the
  account), the information the flow fills in (enrollment_save_info; no invoice), one subject per
  sitting of the candidate's seeded choices (enrollment_choose_subjects), and the audit entries of
  those steps.
  - pages candidates stop at the area step: status DRAFT, no area;
  - takes candidates went on: their hot first-choice area (enrollment_choose_area) and
    报名信息确认 (enrollment_confirm: status CONFIRMED, confirmed_at), with those steps' audit entries.
  No seat is taken: the takes phase does that over HTTP.
- Then ANALYZE of the tables it filled (as autovacuum would), and the hot quotas get the takes
  phase's seats (seed.size_takes_quotas)."""
from __future__ import annotations

import time

from .load import INFO_FORM


def _info(person: dict) -> dict:
    """The enrollment's information fields once the flow's information step is saved."""
    values = {name: value for name, value in INFO_FORM.items() if name != "invoice_wanted"}
    return {**values, "province": "", "mobile": person["mobile"], "email": person["email"], "invoice_wanted": False,
            "invoice_type": "", "invoice_title": "", "invoice_tax_number": ""}


def sessions(users) -> dict[int, str]:
    """user id -> session key of a fresh logged-in session."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from core.sessions import RENEWED_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore
    backend = settings.AUTHENTICATION_BACKENDS[0]
    keys = {}
    for user in users:
        session = store()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[RENEWED_KEY] = int(time.time())  # as core.sessions stamps a session written at login
        session.save()
        keys[user.pk] = session.session_key
    return keys


def enrollments(exam, people: list[dict], users: dict, *, confirmed: bool) -> list[int]:
    """One enrollment per person (at the area step, or confirmed for its first-choice area), its
    subjects and its audit entries; returns the enrollment ids in the order of `people`."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import EducationRecord
    from core.audit import _jsonable
    from core.models import AuditEntry
    from registration.models import Enrollment, EnrollmentStatus, EnrollmentSubject
    from registration.services import INFO_FIELDS

    now = timezone.now()
    education = dict(EducationRecord.objects.filter(user__in=list(users.values())).order_by("graduated_on")
                     .values_list("user_id", "level"))  # the latest record, as enrollment_start takes it
    rows = []
    for person in people:
        user = users[person["username"]]
        rows.append(Enrollment(
            candidate=user, exam=exam, status=EnrollmentStatus.CONFIRMED if confirmed else EnrollmentStatus.DRAFT,
            notice_accepted_at=now, **_info(person), info_saved_at=now, subjects_saved_at=now,
            area_id=person["first_area"] if confirmed else None, area_saved_at=now if confirmed else None,
            confirmed_at=now if confirmed else None))
    content_type = ContentType.objects.get_for_model(Enrollment)
    with transaction.atomic():
        created = Enrollment.objects.bulk_create(rows, batch_size=1000)
        subjects, entries = [], []
        for enrollment, person in zip(created, people):
            user = enrollment.candidate
            chosen = {int(field.removeprefix("sitting_")): int(subject) for field, subject in person["choices"].items()}
            subjects.extend(EnrollmentSubject(enrollment=enrollment, sitting_id=sitting, subject_id=subject)
                            for sitting, subject in sorted(chosen.items()))
            started = {name: "" for name in INFO_FIELDS} | {
                "nationality": "CN", "mobile": user.mobile, "email": user.email, "invoice_wanted": False,
                "education_level": education.get(user.pk, "")}
            info = {name: getattr(enrollment, name) for name in INFO_FIELDS}
            steps = [("enrollment.started", {}, {"exam": exam.pk, "notice_accepted_at": now, "dishonest_flag": False}),
                     ("enrollment.info_saved", started, info),
                     ("enrollment.subjects_chosen", {"subjects": {}}, {"subjects": chosen})]
            if confirmed:
                steps += [("enrollment.area_chosen", {"area": None}, {"area": enrollment.area_id}),
                          (f"enrollment.{EnrollmentStatus.CONFIRMED}", {"status": EnrollmentStatus.DRAFT},
                           {"status": EnrollmentStatus.CONFIRMED})]
            entries.extend(AuditEntry(actor=user, actor_repr=user.get_username(), action=action,
                                      content_type=content_type, object_id=str(enrollment.pk),
                                      object_repr=str(enrollment)[:200], before=_jsonable(before),
                                      after=_jsonable(after))
                           for action, before, after in steps)
        EnrollmentSubject.objects.bulk_create(subjects, batch_size=2000)
        AuditEntry.objects.bulk_create(entries, batch_size=2000)
    return [enrollment.pk for enrollment in created]


def prepare(plan: dict, *, takes_seats: int | None = None) -> dict:
    """Sessions and enrollments for plan["pages"] and plan["takes"], the takes phase's seats in the
    hot quotas; returns what the load generator needs (see load.py: pages_phase, takes_phase)."""
    from django.conf import settings
    from django.db import connection

    from accounts.models import User
    from exams.models import Exam

    from . import seed

    started = time.perf_counter()
    timings = {}

    def lap(name):
        nonlocal started
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        started = time.perf_counter()

    exam = Exam.objects.get(pk=plan["exam_id"])
    prepared = {"exam_id": exam.pk, "sittings": list(plan["sittings"]), "session_cookie": settings.SESSION_COOKIE_NAME,
                "csrf_cookie": settings.CSRF_COOKIE_NAME, "timings": timings}
    for phase, confirmed in (("pages", False), ("takes", True)):
        people = plan[phase]
        if not people:
            continue
        users = User.objects.in_bulk([person["username"] for person in people], field_name="username")
        keys = sessions(users.values())
        lap("sessions_s")
        pks = enrollments(exam, people, users, confirmed=confirmed)
        lap("enrollments_s")
        prepared[phase] = {"people": [
            {**person, "session": keys[users[person["username"]].pk], "enrollment": pk,
             **({"area": person["first_area"]} if confirmed else {})}
            for person, pk in zip(people, pks)]}
    with connection.cursor() as cursor:
        for table in ("registration_enrollment", "registration_enrollmentsubject", "core_auditentry"):
            cursor.execute(f"ANALYZE {table}")
    lap("analyze_s")
    if plan["takes"]:
        prepared["takes_quotas"] = seed.size_takes_quotas(plan, plan["takes"], takes_seats)
    lap("takes_quotas_s")
    prepared["seconds"] = sum(timings.values())
    return prepared
