"""Sessions are rows in the database (with Redis, read through it): expired rows are cleared."""
import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from core import tasks

pytestmark = pytest.mark.django_db


def test_the_hourly_job_deletes_expired_sessions_only():
    now = timezone.now()
    Session.objects.create(session_key="expired0000000000000000000000000", session_data="",
                           expire_date=now - datetime.timedelta(seconds=1))
    Session.objects.create(session_key="current0000000000000000000000000", session_data="",
                           expire_date=now + datetime.timedelta(minutes=5))
    tasks.clear_expired_sessions.delay()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current0000000000000000000000000"]
    assert any(job["task"] == "core.clear_expired_sessions" for job in settings.CELERY_BEAT_SCHEDULE.values())
