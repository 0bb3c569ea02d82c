"""A candidate uploads an ID photo in headless Chromium and sees it approved, with the standard photo."""
import re
from unittest import mock

import pytest
from captcha.models import CaptchaStore
from django.utils import translation
from playwright.sync_api import expect

from photos import samples, services, tasks
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
