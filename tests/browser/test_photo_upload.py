"""A candidate uploads an ID photo in headless Chromium and sees it approved, with the standard photo;
staff reject a photo in admin and its owner sees why on the upload page."""
import re
from unittest import mock

import pytest
from captcha.models import CaptchaStore
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from exams import demo
from photos import reasons, samples, services, tasks
from photos.models import Photo, PhotoStatus
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def solve_captcha(page):
    key = page.locator("input[name='captcha_0']").input_value()
    page.fill("input[name='captcha_1']", CaptchaStore.objects.get(hashkey=key).response)


def log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", PASSWORD)
    solve_captcha(page)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/enroll/$"))


def label(status) -> str:
    with translation.override("zh-hans"):
        return str(status.label)


def test_candidate_uploads_a_photo_and_sees_it_approved(page, screenshot, tmp_path):
    candidate = UserFactory(username="photo01", name="李娜")
    approved_label = label(PhotoStatus.APPROVED)
    source = tmp_path / "证件照.jpg"
    source.write_bytes(samples.good_photo("blue"))

    log_in(page, "photo01")
    page.goto("/photos/upload/")
    expect(page.locator("#id_photo")).to_be_visible()
    page.set_input_files("#id_photo", str(source))
    solve_captcha(page)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/photos/upload/\?profile=ccaa$"))

    expect(page.get_by_test_id("photo-status")).to_have_text(approved_label, timeout=30_000)
    standard = page.locator("#photo-standard")
    expect(standard).to_be_visible()
    photo = Photo.objects.get(owner=candidate)
    expect(standard).to_have_attribute("src", f"/photos/{photo.pk}/standard.jpg")
    page.wait_for_function("document.getElementById('photo-standard').naturalWidth > 0")
    assert page.evaluate("document.getElementById('photo-standard').naturalWidth") == 215  # served privately
    screenshot("photo-approved")

    assert photo.status == PhotoStatus.APPROVED and photo.original_name == "证件照.jpg"


def test_the_page_polls_until_a_slow_check_is_done(page, tmp_path):
    """The worker is slower than the redirect: the page shows "being checked" and its own script
    polls the status until the check (run here, as a worker would) approves the photo."""
    candidate = UserFactory(username="photo02", name="周杰")
    source = tmp_path / "photo.jpg"
    source.write_bytes(samples.good_photo("white"))
    queued = []
    log_in(page, "photo02")
    with mock.patch.object(tasks.check_photo, "delay", side_effect=queued.append):
        page.goto("/photos/upload/")
        page.set_input_files("#id_photo", str(source))
        solve_captcha(page)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(re.compile(r"/photos/upload/\?profile=ccaa$"))
    expect(page.get_by_test_id("photo-status")).to_have_text(label(PhotoStatus.PENDING))
    expect(page.locator("#photo-spinner")).to_be_visible()
    expect(page.locator("#photo-standard")).to_be_hidden()

    photo = Photo.objects.get(owner=candidate)
    assert queued == [photo.pk]
    with page.expect_response(re.compile(rf"/photos/{photo.pk}/status\.json$")):
        pass  # the page is polling
    services.photo_check(photo_id=photo.pk)

    expect(page.get_by_test_id("photo-status")).to_have_text(label(PhotoStatus.APPROVED))
    expect(page.locator("#photo-spinner")).to_be_hidden()
    expect(page.locator("#photo-standard")).to_be_visible()
    page.wait_for_function("document.getElementById('photo-standard').naturalWidth === 215")


def log_in_as(page, live_server, user):
    """The tab's session is this user's (the login form has its own tests)."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])


def test_staff_reject_the_newest_photo_in_admin_and_the_candidate_sees_why(page, live_server, screenshot):
    """Issue 14 item 3: the older approved photo does not come back, the registration sends the
    candidate to the upload page, and that page says the staff's reason and what to do."""
    reason = "耳朵被头发遮挡，请露出双耳后重新拍摄"
    candidate = UserFactory(username="photo03", name="陈静")
    photos = []
    for background in ("white", "blue"):  # the first photo, then the one that replaced it
        photo = services.photo_submit(owner=candidate, profile_key="ccaa", upload=SimpleUploadedFile(
            "me.jpg", samples.good_photo(background), content_type="image/jpeg"))
        services.photo_check(photo_id=photo.pk)
        photos.append(photo)
    older, newer = photos
    staff = UserFactory(username="photostaff", name="审核员", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="photos",
                                                         codename__in=["view_photo", "change_photo"]))

    # Staff reject the newest photo from the admin list, with the reason the candidate will see.
    log_in_as(page, live_server, staff)
    page.goto(reverse("admin:photos_photo_changelist") + "?status__exact=approved")
    page.check(f"input[name='_selected_action'][value='{newer.pk}']")
    page.select_option("select[name='action']", "reject")
    page.locator("button[name='index']").click()
    page.fill("textarea[name='reason']", reason)
    page.locator("input[name='apply']").click()
    expect(page.locator("ul.messagelist")).to_be_visible()
    newer.refresh_from_db()
    assert newer.status == PhotoStatus.REJECTED

    # The candidate wants to register: the gate sends them to the upload page, which says why.
    log_in_as(page, live_server, candidate)
    exam = demo.seed()
    page.goto(reverse("registration:exam-notice", args=[exam.pk]))
    page.wait_for_url(re.compile(r"/photos/upload/\?"))
    alert = page.get_by_test_id("photo-staff-rejection")
    expect(alert).to_be_visible()
    expect(page.get_by_test_id("photo-staff-rejection-reasons")).to_have_text(reason)
    with translation.override("zh-hans"):
        next_step = str(reasons.AFTER_STAFF_REJECTION["upload"])
    expect(page.get_by_test_id("photo-staff-rejection-next-step")).to_contain_text(next_step)
    assert alert.bounding_box()["y"] < 900  # on the first screen
    # No photo "in use" any more: the older one did not come back, and registration waits.
    expect(page.locator(f"img[src='/photos/{older.pk}/standard.jpg']")).to_have_count(0)
    expect(page.locator("#photo-continue")).to_be_hidden()
    expect(page.locator("#id_photo")).to_be_visible()  # the way out: upload another photo
    screenshot("photo-rejected-by-staff")
