"""A candidate is told when their photo is not accepted, why, and where to upload another one
(SPEC G9): by the automatic check and by staff."""
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import Notification
from photos import services
from photos.models import PhotoStatus
from tests.accounts.factories import UserFactory
from tests.photos.test_photo_flow import CAT, review_photo, upload_file

pytestmark = pytest.mark.django_db


def test_the_automatic_check_tells_the_candidate_why_the_photo_was_rejected(on_commit):
    candidate = UserFactory()
    with on_commit():
        photo = services.photo_submit(owner=candidate, upload=upload_file(CAT), profile_key="ccaa")
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.REJECTED
    notice = Notification.objects.get(recipient=candidate)
    assert notice.kind == "photo.rejected" and notice.subject == "您的照片未通过审核"
    assert "未检测到人脸" in notice.body and "请重新上传照片" in notice.body
    assert notice.url == reverse("photos:upload") and notice.object_id == photo.pk
    assert "No face was found." in notice.texts["en"]["body"]
    assert [m.to for m in mail.outbox] == [[candidate.email]] and "未检测到人脸" in mail.outbox[0].body

    client = Client()
    client.force_login(candidate)
    page = client.get(reverse("inbox:notification-detail", args=[notice.pk])).content.decode()
    assert "未检测到人脸" in page and f'href="{reverse("photos:upload")}"' in page


def photo_staff():
    """A staff member who may decide photos (the workflow core checks who acts)."""
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="photos", codename="change_photo"))
    return staff


def test_staff_rejection_tells_the_candidate_the_reason_they_typed(on_commit):
    candidate, staff = UserFactory(), photo_staff()
    photo = review_photo(candidate)
    with on_commit():
        services.photo_decide(photo=photo, actor=staff, approve=False, reason="耳朵被头发遮挡")
    notice = Notification.objects.get(recipient=candidate, kind="photo.rejected")
    assert "耳朵被头发遮挡" in notice.body and notice.url == reverse("photos:upload")
    assert len(mail.outbox) == 1


def test_an_approved_or_manual_review_photo_sends_no_notice(on_commit):
    candidate, staff = UserFactory(), photo_staff()
    with on_commit():
        services.photo_submit(owner=candidate, upload=upload_file(), profile_key="ccaa")  # a good photo
        services.photo_decide(photo=review_photo(candidate), actor=staff, approve=True)
    assert not Notification.objects.filter(recipient=candidate).exists() and mail.outbox == []
