"""A staff rejection is final for the photo it rejects and visible to its owner (issue 14, item 3):
one photo is in force per profile, approving a newer one replaces the older, so rejecting the newest
never brings an older one back; the upload page and the enrollment gate agree; the upload page and
the message centre say why and what to do now."""
import datetime
import importlib

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from core.models import AuditEntry, Notification
from exams import demo
from exams.models import Area, Sitting
from photos import reasons, samples, selectors, services
from photos.models import Photo, PhotoStatus
from registration import services as registration_services
from tests.accounts.factories import EducationFactory, UserFactory
from tests.photos.factories import approved_photo
from tests.registration.test_enrollment_services import ready

pytestmark = pytest.mark.django_db

UPLOAD = reverse("photos:upload")
REASON = "耳朵被头发遮挡，请露出双耳"


def checked_photo(owner, background="blue") -> Photo:
    """A photo uploaded and checked as the site does it (the worker's job run here)."""
    upload = SimpleUploadedFile("me.jpg", samples.good_photo(background), content_type="image/jpeg")
    photo = services.photo_submit(owner=owner, upload=upload, profile_key="ccaa")
    services.photo_check(photo_id=photo.pk)
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.APPROVED, photo.reasons
    return photo


def standard_url(photo) -> str:
    return reverse("photos:file", args=[photo.pk, "standard"])


def text(lazy) -> str:
    """As the page shows it: in the site's language, HTML-escaped."""
    with translation.override(settings.LANGUAGE_CODE):
        return escape(str(lazy))


@pytest.fixture
def candidate(db):
    user = UserFactory(name="王芳")
    EducationFactory(user=user)
    return user


@pytest.fixture
def staff(db):
    user = UserFactory(username="photostaff", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="photos",
                                                         codename__in=["view_photo", "change_photo"]))
    return user


@pytest.fixture
def two_photos(candidate):
    """The candidate's first photo was approved, then they replaced it with a second one."""
    older = checked_photo(candidate, "white")
    newer = checked_photo(candidate, "blue")
    return older, newer


def reject_in_admin(client, staff, photo, reason=REASON):
    client.force_login(staff)
    response = client.post(reverse("admin:photos_photo_changelist"),
                           {"action": "reject", "_selected_action": [photo.pk], "apply": "1", "reason": reason})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.REJECTED


# --------------------------------------------------------------------------- the photo in force


def test_approving_a_newer_photo_replaces_the_older_one_audited(candidate, two_photos):
    older, newer = two_photos
    older.refresh_from_db()
    assert older.status == PhotoStatus.REPLACED
    assert selectors.approved_photo(candidate, "ccaa") == newer
    entry = AuditEntry.objects.get(action="photo.replaced", object_id=str(older.pk))
    assert entry.actor is None and entry.before == {"status": "approved"}
    assert entry.after["replaced_by"] == newer.pk


def test_a_staff_rejection_of_the_newest_photo_does_not_bring_an_older_one_back(client, candidate, staff,
                                                                                 two_photos):
    older, newer = two_photos
    reject_in_admin(client, staff, newer)

    assert selectors.approved_photo(candidate, "ccaa") is None
    assert selectors.approved_photo(candidate) is None  # the documents' photo too
    assert not selectors.has_approved_photo(candidate, "ccaa")
    older.refresh_from_db()
    assert older.status == PhotoStatus.REPLACED

    # The enrollment gate agrees with the upload page: no photo in force, so upload first.
    exam = demo.seed()
    client.force_login(candidate)
    notice = reverse("registration:exam-notice", args=[exam.pk])
    response = client.get(notice)
    assert response.status_code == 302 and response.url.startswith(UPLOAD)
    page = client.get(response.url).content.decode()
    assert standard_url(older) not in page  # the old photo is not offered as "in use"
    assert 'data-testid="photo-staff-rejection"' in page and REASON in page


def test_the_upload_page_shows_the_rejection_its_reason_and_what_to_do(client, candidate, staff, two_photos):
    _older, newer = two_photos
    reject_in_admin(client, staff, newer)
    client.force_login(candidate)
    page = client.get(UPLOAD).content.decode()

    alert = page[page.index('data-testid="photo-staff-rejection"'):]
    alert = alert[:alert.index("</div>")]
    assert REASON in alert
    assert text(reasons.AFTER_STAFF_REJECTION["upload"]) in alert
    assert timezone.localtime(newer.decided_at).strftime("%Y-%m-%d %H:%M") in alert  # Beijing time
    assert 'name="photo"' in page  # and the form to upload another one is there

    # Once the candidate uploads a new photo, the rejection has been answered: the alert goes.
    checked_photo(candidate)
    page = client.get(UPLOAD).content.decode()
    assert 'data-testid="photo-staff-rejection"' not in page


def test_a_rejection_by_the_automatic_check_shows_no_staff_alert(client, candidate):
    upload = SimpleUploadedFile("cat.jpg", samples.cat_photo(), content_type="image/jpeg")
    photo = services.photo_submit(owner=candidate, upload=upload, profile_key="ccaa")
    services.photo_check(photo_id=photo.pk)
    client.force_login(candidate)
    page = client.get(UPLOAD).content.decode()
    assert 'data-testid="photo-staff-rejection"' not in page
    assert text(reasons.MESSAGES["no_face"]) in page  # the latest upload's own reasons, as before


def test_rejecting_a_photo_under_review_keeps_the_photo_in_force(client, candidate, staff):
    """A photo that never was in force (staff reject it from the review queue) changes nothing for
    the approved one, and the candidate is told that it stays in use."""
    in_force = checked_photo(candidate)
    upload = SimpleUploadedFile("me.jpg", samples.good_photo("red"), content_type="image/jpeg")
    doubtful = services.photo_submit(owner=candidate, upload=upload, profile_key="ccaa")
    Photo.objects.filter(pk=doubtful.pk).update(status=PhotoStatus.MANUAL_REVIEW)  # as if the check had doubts
    reject_in_admin(client, staff, doubtful)

    assert selectors.approved_photo(candidate, "ccaa") == in_force
    client.force_login(candidate)
    page = client.get(UPLOAD).content.decode()
    assert standard_url(in_force) in page and REASON in page
    assert text(reasons.AFTER_STAFF_REJECTION["other_in_use"]) in page


def test_staff_approving_an_older_photo_again_puts_it_back_in_force(candidate, staff, two_photos):
    older, newer = two_photos
    services.photo_decide(photo=newer, actor=staff, approve=False, reason=REASON)
    Photo.objects.filter(pk=older.pk).update(status=PhotoStatus.REJECTED)  # staff may approve rejected photos
    services.photo_decide(photo=older, actor=staff, approve=True)
    assert selectors.approved_photo(candidate, "ccaa") == older
    assert selectors.unanswered_staff_rejection(candidate) is None  # a photo was approved since


# --------------------------------------------------------------------------- the message centre


def in_english(lazy_text) -> str:
    with translation.override("en"):
        return str(lazy_text)


def test_the_candidate_gets_a_message_with_the_reason_and_the_next_step(client, candidate, staff, two_photos,
                                                                        on_commit):
    _older, newer = two_photos
    with on_commit():
        reject_in_admin(client, staff, newer)
    notice = Notification.objects.get(recipient=candidate, kind="photo.rejected")
    assert notice.url == UPLOAD and notice.object_id == newer.pk
    english = notice.texts["en"]["body"]
    assert english.startswith("The association's staff did not accept your ID photo:")
    assert REASON in english and in_english(reasons.AFTER_STAFF_REJECTION["upload"]) in english.replace("\n", " ")
    assert REASON in notice.body

    client.force_login(candidate)
    page = client.get(reverse("inbox:notification-detail", args=[notice.pk])).content.decode()
    assert page.count(REASON) >= 1 and f'href="{UPLOAD}"' in page


def test_once_the_photo_is_locked_the_candidate_is_told_to_contact_staff(client, candidate, staff, on_commit):
    exam = demo.seed()
    photo = approved_photo(candidate)
    sittings = list(Sitting.objects.filter(exam=exam).order_by("starts_at"))
    enrollment = ready(candidate, exam, sittings, Area.objects.get(name="济南"))
    registration_services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    with time_machine.travel(exam.registration_closes_at + datetime.timedelta(minutes=1), tick=False):
        with on_commit():
            services.photo_decide(photo=photo, actor=staff, approve=False, reason=REASON)
        notice = Notification.objects.get(recipient=candidate, kind="photo.rejected")
        assert in_english(reasons.AFTER_STAFF_REJECTION["locked"]) in notice.texts["en"]["body"].replace("\n", " ")
        client.force_login(candidate)
        page = client.get(UPLOAD).content.decode()
        assert REASON in page and text(reasons.AFTER_STAFF_REJECTION["locked"]) in page
        assert 'name="photo"' not in page


# --------------------------------------------------------------------------- data already stored


def test_the_migration_keeps_only_the_newest_approved_photo_in_force(candidate):
    """Before this change every approved photo stayed approved; the migration replaces the older ones."""
    first = approved_photo(candidate)
    second = approved_photo(candidate)
    other_profile = approved_photo(candidate, profile="cpta")
    Photo.objects.filter(pk=first.pk).update(decided_at=timezone.now() - datetime.timedelta(days=3))
    migration = importlib.import_module("photos.migrations.0003_photo_replaced")
    migration.replace_older_approved_photos(apps, None)
    statuses = dict(Photo.objects.values_list("pk", "status"))
    assert statuses == {first.pk: PhotoStatus.REPLACED, second.pk: PhotoStatus.APPROVED,
                        other_profile.pk: PhotoStatus.APPROVED}
