"""The photo pages and services: upload with captcha, the check on commit, status polling, private
files, the gate before enrollment, the lock after the window, staff decisions, stalled checks."""
import datetime
import re
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from captcha.models import CaptchaStore
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from core.models import AuditEntry
from exams import demo
from exams.models import Area, Sitting
from photos import reasons, samples, services, tasks
from photos.exceptions import PhotoLocked
from photos.models import Photo, PhotoStatus
from registration import services as registration_services
from tests.accounts.factories import EducationFactory, UserFactory
from tests.photos.factories import approved_photo
from tests.registration.test_enrollment_services import ready

pytestmark = pytest.mark.django_db

UPLOAD = reverse("photos:upload")
GOOD = samples.good_photo("blue")
CAT = samples.cat_photo()


def upload_file(data=GOOD, name="me.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def captcha_from(page) -> dict:
    """The real answer to the captcha the page showed."""
    key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', page.content.decode()).group(1)
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def post_photo(client, data=GOOD, query="", **extra):
    page = client.get(UPLOAD + query)
    assert page.status_code == 200
    return client.post(UPLOAD + query, {"photo": upload_file(data), **captcha_from(page), **extra})


def status_of(client, photo):
    response = client.get(reverse("photos:status", args=[photo.pk]))
    assert response.status_code == 200
    return response.json()


def read(response) -> bytes:
    """Consume a FileResponse; the test client closes it at the end (never call response.close()
    here: that would send request_finished again and close the test's database connection)."""
    return b"".join(response.streaming_content)


def is_inside(path: Path, folder) -> bool:
    if not folder:
        return False
    try:
        path.resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def review_photo(owner) -> Photo:
    """A photo the check sent to manual review, with the standard photo it made."""
    photo = Photo(owner=owner, profile="ccaa", status=PhotoStatus.MANUAL_REVIEW, reasons=["too_bright"],
                  checked_at=timezone.now())
    photo.original.save("original.jpg", ContentFile(GOOD), save=False)
    photo.processed.save("standard.jpg", ContentFile(samples.jpeg(samples.portrait().resize((215, 300)), 80)),
                         save=False)
    photo.save()
    return photo


@pytest.fixture
def candidate(db):
    user = UserFactory(name="王芳")
    EducationFactory(user=user)
    return user


@pytest.fixture
def logged_in(client, candidate):
    client.force_login(candidate)
    return client


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create(username="photoboss", name="管理员", is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.user = admin
    return client


# --------------------------------------------------------------------------- upload and check


def test_upload_page_shows_the_requirements_of_the_profile(logged_in):
    page = logged_in.get(UPLOAD).content.decode()
    assert "215 × 300" in page and "30.0" in page  # CCAA: larger than 215 × 300 px and 30 KB
    assert 'name="photo"' in page and 'accept="image/jpeg' in page and 'name="captcha_1"' in page
    page = logged_in.get(UPLOAD + "?profile=cpta").content.decode()
    assert "294 × 412" in page and "10.0" in page
    assert 'name="profile" value="cpta"' in page


def test_upload_creates_a_private_pending_photo_that_the_check_approves(logged_in, candidate, on_commit):
    with on_commit() as callbacks:
        response = post_photo(logged_in)
        photo = Photo.objects.get(owner=candidate)
        assert photo.status == PhotoStatus.PENDING  # saved first, checked after the commit
        assert photo.profile == "ccaa" and photo.original_name == "me.jpg"
    assert response.status_code == 302 and response.url.startswith(UPLOAD)
    assert len(callbacks) == 1
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.APPROVED, photo.reasons
    assert photo.decided_at and photo.checked_at and photo.check_attempts == 1
    assert AuditEntry.objects.filter(action="photo.submitted", object_id=str(photo.pk)).count() == 1
    assert AuditEntry.objects.filter(action="photo.approved", object_id=str(photo.pk)).count() == 1

    # Both files live under the private root only, never under a folder or URL the site publishes.
    for field in (photo.original, photo.processed):
        path = Path(field.path)
        assert path.is_file()
        assert is_inside(path, settings.PRIVATE_MEDIA_ROOT)
        for public in [settings.STATIC_ROOT, *settings.STATICFILES_DIRS, settings.MEDIA_ROOT]:
            assert not is_inside(path, public), public
        for url in (f"/{field.name}", f"/static/{field.name}", f"/media/{field.name}",
                    f"{settings.MEDIA_URL or '/'}{field.name}"):
            assert logged_in.get(url).status_code == 404, url
    assert Path(photo.processed.path).read_bytes()[:3] == b"\xff\xd8\xff"

    page = logged_in.get(response.url).content.decode()
    assert reverse("photos:file", args=[photo.pk, "standard"]) in page


def test_status_json_reports_pending_then_done(logged_in, candidate):
    post_photo(logged_in)  # no on-commit run: the check has not happened yet
    photo = Photo.objects.get(owner=candidate)
    data = status_of(logged_in, photo)
    assert data["status"] == "pending" and data["done"] is False and data["processed_url"] is None
    services.photo_check(photo_id=photo.pk)
    data = status_of(logged_in, photo)
    assert data["status"] == "approved" and data["done"] is True and data["reasons"] == []
    assert data["label"] == str(PhotoStatus.APPROVED.label)
    assert data["processed_url"] == reverse("photos:file", args=[photo.pk, "standard"])


def test_status_json_gives_the_reasons_of_a_rejected_photo(logged_in, candidate, on_commit):
    with on_commit():
        post_photo(logged_in, CAT)
    photo = Photo.objects.get(owner=candidate)
    data = status_of(logged_in, photo)
    assert data["status"] == "rejected" and data["done"] is True and data["processed_url"] is None
    assert photo.reasons == ["no_face"]
    assert data["reasons"] == reasons.describe(["no_face"], settings.PHOTO_PROFILES["ccaa"])
    page = logged_in.get(UPLOAD).content.decode()
    assert data["reasons"][0] in page  # the upload page shows the same reason


def test_status_json_of_someone_elses_photo_is_404(logged_in):
    other = approved_photo(UserFactory())
    assert logged_in.get(reverse("photos:status", args=[other.pk])).status_code == 404


def test_status_reasons_and_upload_page_are_chinese_by_default(logged_in, candidate, on_commit):
    with on_commit():
        post_photo(logged_in, CAT)
    data = status_of(logged_in, Photo.objects.get(owner=candidate))
    chinese = re.compile(r"[\u4e00-\u9fff]")
    assert chinese.search(data["label"]) and chinese.search(data["reasons"][0]), data
    assert "Photo requirements" not in logged_in.get(UPLOAD).content.decode()


def test_wrong_captcha_shows_an_error_next_to_it_and_saves_nothing(logged_in):
    page = logged_in.get(UPLOAD)
    answer = captcha_from(page)
    response = logged_in.post(UPLOAD, {"photo": upload_file(), "captcha_0": answer["captcha_0"],
                                       "captcha_1": answer["captcha_1"] + "X"})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["captcha"]
    html = response.content.decode()
    captcha_block = html[html.index('id="div_id_captcha"'):]
    assert str(form.errors["captcha"][0]) in captcha_block[:3000]
    assert not Photo.objects.exists()


def test_upload_without_a_file_saves_nothing(logged_in):
    page = logged_in.get(UPLOAD)
    response = logged_in.post(UPLOAD, captcha_from(page))
    assert response.status_code == 200 and "photo" in response.context["form"].errors
    assert not Photo.objects.exists()


def test_upload_needs_login(client):
    response = client.get(UPLOAD)
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --------------------------------------------------------------------------- private files


def test_private_files_are_served_to_the_owner_and_photo_staff_only(client, candidate, django_user_model):
    photo = approved_photo(candidate)
    standard = reverse("photos:file", args=[photo.pk, "standard"])
    original = reverse("photos:file", args=[photo.pk, "original"])

    response = client.get(standard)  # anonymous
    assert response.status_code == 302 and "/accounts/login/" in response.url

    client.force_login(candidate)
    for url, field in ((standard, photo.processed), (original, photo.original)):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control
        assert response["X-Content-Type-Options"] == "nosniff"
        with field.open("rb") as stored:
            assert read(response) == stored.read()
    assert client.get(reverse("photos:file", args=[photo.pk, "other"])).status_code == 404

    client.force_login(UserFactory())  # another candidate
    assert client.get(standard).status_code == 404
    assert client.get(reverse("photos:status", args=[photo.pk])).status_code == 404

    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(standard).status_code == 404  # staff, but not allowed to see photos
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="photos", codename="view_photo"))
    staff = django_user_model.objects.get(pk=staff.pk)  # fresh permission cache
    client.force_login(staff)
    response = client.get(standard)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    read(response)
    response = client.get(original)
    assert response.status_code == 200
    read(response)

    helper = UserFactory()  # the permission alone, without staff status, is not enough
    helper.user_permissions.add(Permission.objects.get(content_type__app_label="photos", codename="view_photo"))
    client.force_login(helper)
    assert client.get(standard).status_code == 404


# --------------------------------------------------------------------------- the gate (B4)


def test_candidate_without_an_approved_photo_is_sent_to_the_upload_page_first(logged_in, candidate, on_commit):
    exam = demo.seed()
    notice = reverse("registration:exam-notice", args=[exam.pk])
    response = logged_in.get(notice)
    assert response.status_code == 302
    target = urlparse(response.url)
    assert target.path == UPLOAD
    assert parse_qs(target.query) == {"profile": ["ccaa"], "next": [notice]}

    query = f"?{target.query}"
    page = logged_in.get(response.url).content.decode()
    assert f'name="next" value="{notice}"' in page
    assert 'id="photo-continue"' in page and "d-none" in re.search(r'<a[^>]+id="photo-continue"', page).group(0)

    # A rejected photo does not open the gate.
    with on_commit():
        post_photo(logged_in, CAT, query)
    assert logged_in.get(notice).status_code == 302

    with on_commit():
        response = post_photo(logged_in, GOOD, query, profile="ccaa", next=notice)
    assert response.status_code == 302 and parse_qs(urlparse(response.url).query)["next"] == [notice]
    page = logged_in.get(response.url).content.decode()
    continue_link = re.search(r'<a[^>]+id="photo-continue"[^>]*>', page).group(0)
    assert "d-none" not in continue_link and f'href="{notice}"' in continue_link

    response = logged_in.get(notice)
    assert response.status_code == 200 and exam.name in response.content.decode()
    response = logged_in.post(notice, {"accept": "on"})
    assert response.status_code == 302 and "/enroll/" in response.url


def test_upload_page_ignores_a_next_url_on_another_site(logged_in):
    page = logged_in.get(UPLOAD + "?next=https://evil.example.org/").content.decode()
    assert 'value="https://evil.example.org/"' not in page and 'href="https://evil.example.org/"' not in page
    assert 'id="photo-continue"' not in page


def test_photo_of_another_profile_does_not_open_the_gate(logged_in, candidate):
    exam = demo.seed()
    approved_photo(candidate, profile="cpta")
    response = logged_in.get(reverse("registration:exam-notice", args=[exam.pk]))
    assert response.status_code == 302 and "profile=ccaa" in response.url


# --------------------------------------------------------------------------- the lock (B4)


@pytest.fixture
def confirmed(candidate):
    exam = demo.seed()
    approved_photo(candidate)
    sittings = list(Sitting.objects.filter(exam=exam).order_by("starts_at"))
    enrollment = ready(candidate, exam, sittings, Area.objects.get(name="济南"))
    registration_services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    assert enrollment.status == "confirmed"
    return enrollment


def test_photo_can_be_replaced_during_the_window(logged_in, candidate, confirmed, on_commit):
    page = logged_in.get(UPLOAD).content.decode()
    assert 'data-testid="photo-locked"' not in page and 'name="photo"' in page
    with on_commit():
        response = post_photo(logged_in)
    assert response.status_code == 302
    assert Photo.objects.filter(owner=candidate).count() == 2
    newest = Photo.objects.filter(owner=candidate).latest("created_at", "id")
    newest.refresh_from_db()
    assert newest.status == PhotoStatus.APPROVED


def test_photo_is_locked_after_the_registration_window_closes(logged_in, candidate, confirmed):
    with time_machine.travel(confirmed.exam.registration_closes_at + datetime.timedelta(minutes=1), tick=False):
        logged_in.force_login(candidate)  # sessions last 30 minutes
        response = logged_in.get(UPLOAD)
        page = response.content.decode()
        assert 'data-testid="photo-locked"' in page
        with translation.override(settings.LANGUAGE_CODE):
            from registration.selectors import photo_lock_reason

            assert photo_lock_reason(candidate) in page
        assert 'name="photo"' not in page  # no upload form at all

        key = CaptchaStore.generate_key()
        response = logged_in.post(UPLOAD, {"photo": upload_file(), "captcha_0": key,
                                           "captcha_1": CaptchaStore.objects.get(hashkey=key).response})
        assert response.status_code == 200
        assert Photo.objects.filter(owner=candidate).count() == 1
        with pytest.raises(PhotoLocked):
            services.photo_submit(owner=candidate, upload=upload_file(), profile_key="ccaa")
    assert Photo.objects.filter(owner=candidate).count() == 1


def test_a_draft_enrollment_in_a_closed_exam_does_not_lock(logged_in, candidate):
    exam = demo.seed()
    registration_services.enrollment_start(candidate=candidate, exam=exam)
    with time_machine.travel(exam.registration_closes_at + datetime.timedelta(minutes=1), tick=False):
        logged_in.force_login(candidate)
        assert 'data-testid="photo-locked"' not in logged_in.get(UPLOAD).content.decode()


# --------------------------------------------------------------------------- staff decisions (B3)


def test_staff_approve_a_photo_in_manual_review_and_it_is_audited(staff_client, candidate):
    photo = review_photo(candidate)
    changelist = reverse("admin:photos_photo_changelist")
    page = staff_client.get(changelist + "?status__exact=manual_review")
    assert page.status_code == 200 and reverse("photos:file", args=[photo.pk, "standard"]) in page.content.decode()
    assert staff_client.get(reverse("admin:photos_photo_change", args=[photo.pk])).status_code == 200

    response = staff_client.post(changelist, {"action": "approve", "_selected_action": [photo.pk]})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.APPROVED and photo.reasons == []
    assert photo.decided_by == staff_client.user and photo.decided_at
    entry = AuditEntry.objects.get(action="photo.approved", object_id=str(photo.pk))
    assert entry.actor == staff_client.user
    assert entry.before == {"status": "manual_review"} and entry.after["status"] == "approved"


def test_staff_reject_a_photo_with_a_reason_and_it_is_audited(staff_client, candidate):
    photo = review_photo(candidate)
    changelist = reverse("admin:photos_photo_changelist")
    page = staff_client.post(changelist, {"action": "reject", "_selected_action": [photo.pk]})
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.MANUAL_REVIEW  # nothing happens before the reason is given
    assert not AuditEntry.objects.filter(action="photo.rejected").exists()

    response = staff_client.post(changelist, {"action": "reject", "_selected_action": [photo.pk], "apply": "1",
                                              "reason": "耳朵被头发遮挡"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.REJECTED and photo.reasons == ["耳朵被头发遮挡"]
    entry = AuditEntry.objects.get(action="photo.rejected", object_id=str(photo.pk))
    assert entry.actor == staff_client.user and entry.after["reasons"] == ["耳朵被头发遮挡"]

    staff_client.force_login(candidate)
    data = status_of(staff_client, photo)
    assert data["status"] == "rejected" and data["reasons"] == ["耳朵被头发遮挡"]


def test_staff_cannot_approve_a_photo_the_check_made_no_standard_photo_of(staff_client, candidate, on_commit):
    with on_commit():
        services.photo_submit(owner=candidate, upload=upload_file(CAT), profile_key="ccaa")
    photo = Photo.objects.get(owner=candidate)
    assert photo.status == PhotoStatus.REJECTED
    staff_client.post(reverse("admin:photos_photo_changelist"), {"action": "approve", "_selected_action": [photo.pk]})
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.REJECTED
    assert not AuditEntry.objects.filter(action="photo.approved", object_id=str(photo.pk)).exists()


def test_staff_who_may_only_view_photos_cannot_decide_them(client, candidate):
    """Regression: the admin actions had no permissions=["change"], so viewing was enough."""
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(content_type__app_label="photos", codename="view_photo"))
    client.force_login(viewer)
    photo = review_photo(candidate)
    changelist = reverse("admin:photos_photo_changelist")
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "approve", "_selected_action": [photo.pk]})
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.MANUAL_REVIEW


def test_association_staff_can_work_the_manual_review_queue(client, candidate):
    """Regression: the association-staff role had no photos permissions at all."""
    from accounts.roles import Role

    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name=Role.ASSOCIATION_STAFF))
    client.force_login(staff)
    photo = review_photo(candidate)
    assert client.get(reverse("admin:photos_photo_changelist")).status_code == 200
    client.post(reverse("admin:photos_photo_changelist"), {"action": "approve", "_selected_action": [photo.pk]})
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.APPROVED


# --------------------------------------------------------------------------- the worker's job


def processed_files(owner) -> set[Path]:
    """The owner's standard-photo files on disk (the folder outlives the test's database rows)."""
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "photos" / "processed" / str(owner.pk)
    return set(folder.glob("*.jpg")) if folder.exists() else set()


def test_photo_check_run_twice_leaves_one_decision(candidate):
    photo = services.photo_submit(owner=candidate, upload=upload_file(), profile_key="ccaa")  # not run yet
    before = processed_files(candidate)
    services.photo_check(photo_id=photo.pk)
    services.photo_check(photo_id=photo.pk)
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.APPROVED and photo.check_attempts == 1
    assert AuditEntry.objects.filter(object_id=str(photo.pk), action__in=[
        "photo.approved", "photo.rejected", "photo.manual_review"]).count() == 1
    assert processed_files(candidate) - before == {Path(photo.processed.path)}


def test_photo_check_racing_a_second_worker_keeps_one_decision_and_one_file(candidate):
    """A re-queued message is picked up while the first check is still vetting: one of them wins."""
    from photos import vetting

    photo = services.photo_submit(owner=candidate, upload=upload_file(), profile_key="ccaa")
    before = processed_files(candidate)
    real_vet = vetting.vet
    calls = []

    def vet_while_another_worker_finishes(data, profile):
        calls.append(1)
        if len(calls) == 1:
            services.photo_check(photo_id=photo.pk)  # the other worker runs the whole check meanwhile
        return real_vet(data, profile)

    with mock.patch.object(vetting, "vet", side_effect=vet_while_another_worker_finishes):
        services.photo_check(photo_id=photo.pk)
    assert len(calls) == 2
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.APPROVED
    assert AuditEntry.objects.filter(action="photo.approved", object_id=str(photo.pk)).count() == 1
    assert processed_files(candidate) - before == {Path(photo.processed.path)}  # the loser's copy was deleted


def test_stalled_pending_photo_is_requeued_after_two_minutes(candidate):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        stalled = services.photo_submit(owner=candidate, upload=upload_file(), profile_key="ccaa")
        clock.shift(datetime.timedelta(minutes=1, seconds=50))
        fresh = services.photo_submit(owner=candidate, upload=upload_file(), profile_key="ccaa")
        done = approved_photo(UserFactory())
        Photo.objects.filter(pk=done.pk).update(created_at=start - datetime.timedelta(hours=1))

        with mock.patch.object(tasks.check_photo, "delay") as delay:
            assert services.photos_requeue_stalled() == 0  # nothing is 2 minutes old yet
            clock.shift(datetime.timedelta(seconds=15))  # 2 min 5 s after the first upload
            assert services.photos_requeue_stalled() == 1
        delay.assert_called_once_with(stalled.pk)

        assert tasks.requeue_stalled.delay().get() == 1  # the beat task itself, run in-process
        stalled.refresh_from_db()
        fresh.refresh_from_db()
        assert stalled.status == PhotoStatus.APPROVED and fresh.status == PhotoStatus.PENDING


def test_photo_whose_check_keeps_failing_is_not_requeued_forever(candidate):
    photo = services.photo_submit(owner=candidate, upload=upload_file(), profile_key="ccaa")
    with mock.patch("photos.vetting.vet", side_effect=RuntimeError("worker crashed")):
        for _attempt in range(services.MAX_CHECK_ATTEMPTS):
            with pytest.raises(RuntimeError):
                services.photo_check(photo_id=photo.pk)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5), tick=False), \
            mock.patch.object(tasks.check_photo, "delay") as delay:
        assert services.photos_requeue_stalled() == 0
    delay.assert_not_called()


def test_photo_whose_check_keeps_failing_goes_to_manual_review(candidate):
    """Regression: the photo used to stay pending forever once MAX_CHECK_ATTEMPTS was reached."""
    photo = services.photo_submit(owner=candidate, upload=upload_file(), profile_key="ccaa")
    with mock.patch("photos.vetting.vet", side_effect=RuntimeError("worker crashed")):
        for _attempt in range(services.MAX_CHECK_ATTEMPTS):
            with pytest.raises(RuntimeError):
                services.photo_check(photo_id=photo.pk)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5), tick=False):
        services.photos_requeue_stalled()
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.MANUAL_REVIEW  # in the staff queue, not waiting forever
    assert AuditEntry.objects.filter(action="photo.manual_review", object_id=str(photo.pk)).count() == 1
