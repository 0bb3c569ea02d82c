"""The embedded default has no beat: the web process runs the scheduled jobs itself (issue 14 item 2).

A release scheduled a moment ahead is applied, and an unpaid order past its time expires, by the
scheduler thread alone, with nobody calling the services."""
import datetime
import time

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from config.celery import app
from core.management.commands.serve import runs_scheduler
from core.scheduler import EmbeddedScheduler
from exams.models import ReleaseStatus, SeatRelease
from payments.models import Order
from tests.exams.factories import SeatQuotaFactory, SeatReleaseFactory
from tests.payments.conftest import (  # noqa: F401
    area,
    candidate,
    confirmed_enrollment,
    exam,
    sittings,
)

FAST = {
    "exams-apply-due-releases": {"task": "exams.apply_due_releases", "schedule": 0.2},
    "payments-expire-unpaid-orders": {"task": "payments.expire_orders", "schedule": 0.2},
}


def wait_for(check, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except OperationalError:  # the test database in memory (SQLite) locks whole tables: read again
            pass
        time.sleep(0.1)
    return False


@pytest.fixture
def scheduler():
    """Started by the test once its data is written; a job that meets a locked table runs again."""
    running = EmbeddedScheduler(schedule=FAST, tick=0.1)
    yield running
    running.stop()
    if running.is_alive():
        running.join(5)


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_release_is_applied_by_the_web_process_itself(scheduler):
    quota = SeatQuotaFactory(capacity=1)
    release = SeatReleaseFactory(quota=quota, seats=3, release_at=timezone.now() + datetime.timedelta(seconds=1))
    scheduler.start()
    assert wait_for(lambda: SeatRelease.objects.get(pk=release.pk).status == ReleaseStatus.APPLIED)
    quota.refresh_from_db()
    assert quota.capacity == 4


@pytest.mark.django_db(transaction=True)
def test_an_unpaid_order_past_its_time_expires_without_a_broker(scheduler, candidate, exam, sittings, area):
    from payments import services

    enrollment = confirmed_enrollment(candidate, exam, sittings, area)
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    scheduler.start()
    assert wait_for(lambda: Order.objects.get(pk=order.pk).status == "expired")


def test_every_beat_job_is_a_task_the_embedded_scheduler_can_run():
    jobs = EmbeddedScheduler().entries
    assert set(jobs) == set(settings.CELERY_BEAT_SCHEDULE)
    for entry, _schedule in jobs.values():
        assert entry["task"] in app.tasks


@pytest.mark.django_db
def test_a_job_runs_when_due_and_not_before():
    scheduler = EmbeddedScheduler(schedule={"sessions": {"task": "core.clear_expired_sessions", "schedule": 3600.0}})
    assert scheduler.run_due() == []
    scheduler.last_run["sessions"] = scheduler.app.now() - datetime.timedelta(hours=2)
    assert scheduler.run_due() == ["sessions"]
    assert scheduler.run_due() == []


def test_the_web_process_runs_the_schedule_only_without_a_broker():
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        assert runs_scheduler()
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        assert not runs_scheduler()
