"""A real Celery worker process checks a submitted photo: Redis broker, the real test database,
the same private files."""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from config.celery import app
from photos import samples, services
from photos.models import Photo, PhotoStatus
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(settings):
    """Start a worker on a queue of its own; the code under test publishes to that queue."""
    queue = f"test-photos-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {**os.environ,
           "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "DJANGO_DEBUG": "false",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "REDIS_URL": settings.REDIS_URL,
           "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wanted = {"task_always_eager": False, "task_default_queue": queue, "broker_url": settings.REDIS_URL}
    saved = {key: app.conf[key] for key in wanted}
    app.conf.update(wanted)
    yield process
    app.conf.update(saved)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_submitted_photo_is_approved_by_the_worker(worker):
    candidate = UserFactory()
    upload = SimpleUploadedFile("me.jpg", samples.good_photo("red"), content_type="image/jpeg")
    photo = services.photo_submit(owner=candidate, upload=upload, profile_key="ccaa")
    assert Photo.objects.get(pk=photo.pk).status == PhotoStatus.PENDING

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        photo.refresh_from_db()
        if photo.status != PhotoStatus.PENDING:
            break
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.2)
    assert photo.status == PhotoStatus.APPROVED, (photo.status, photo.reasons)
    assert photo.check_attempts == 1 and photo.checked_at and photo.decided_at
    processed = Path(photo.processed.path)
    assert processed.is_file() and processed.read_bytes()[:3] == b"\xff\xd8\xff"
    assert 7 * 1024 <= processed.stat().st_size <= 14 * 1024
