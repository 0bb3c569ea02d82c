"""Two workers approve two photos of one candidate at the same moment (a re-upload while the first
check is still running): exactly one photo ends in force, on real PostgreSQL with real threads."""
import threading
import time
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.models import AuditEntry
from photos import samples, selectors, services, tasks, vetting
from photos.models import Photo, PhotoStatus
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_checks_approving_at_once_leave_one_photo_in_force():
    candidate = UserFactory()
    with mock.patch.object(tasks.check_photo, "delay"):  # the threads below are the workers
        photos = [services.photo_submit(owner=candidate, profile_key="ccaa", upload=SimpleUploadedFile(
            "me.jpg", samples.good_photo(background), content_type="image/jpeg")) for background in ("white", "blue")]
    assert all(photo.status == PhotoStatus.PENDING for photo in Photo.objects.filter(owner=candidate))
    both_vetted = threading.Barrier(len(photos))
    real_vet, real_put_in_force = vetting.vet, services._put_in_force

    def vet_then_wait(data, profile):
        result = real_vet(data, profile)
        both_vetted.wait(timeout=30)  # both checks record their verdict at the same moment
        return result

    def slow_put_in_force(photo):
        real_put_in_force(photo)
        time.sleep(0.3)  # each check keeps its approval uncommitted while the other one approves too

    errors = []

    def check(photo_id):
        try:
            services.photo_check(photo_id=photo_id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    with mock.patch.object(vetting, "vet", vet_then_wait), \
            mock.patch.object(services, "_put_in_force", slow_put_in_force):
        threads = [threading.Thread(target=check, args=(photo.pk,)) for photo in photos]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    statuses = sorted(Photo.objects.filter(owner=candidate).values_list("status", flat=True))
    assert statuses == [PhotoStatus.APPROVED, PhotoStatus.REPLACED]
    in_force = selectors.approved_photo(candidate, "ccaa")
    replaced = Photo.objects.get(owner=candidate, status=PhotoStatus.REPLACED)
    entry = AuditEntry.objects.get(action="photo.replaced", object_id=str(replaced.pk))
    assert entry.after["replaced_by"] == in_force.pk
