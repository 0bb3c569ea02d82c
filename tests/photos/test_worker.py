"""A real Celery worker process checks a submitted photo: Redis broker, the real test database,
the same private files."""
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from photos import samples, services
from photos.models import Photo, PhotoStatus
from tests.accounts.factories import UserFactory
from tests.workers import celery_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    with celery_worker(settings, "photos") as process:
        yield process


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
