"""At phone width (390 px), under the Content-Security-Policy: a candidate whose photo was not
accepted sees the unread count, reads the notice in the inbox, follows its link, and the count goes."""
import re

import pytest
from captcha.models import CaptchaStore
from playwright.sync_api import expect

from core.models import Notification
from photos import services
from tests.accounts.factories import PASSWORD, UserFactory
from tests.photos.test_photo_flow import CAT, upload_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_candidate_reads_the_photo_notice_on_a_phone(page, screenshot):
    candidate = UserFactory(username="notice01", name="王小明")
    services.photo_submit(owner=candidate, upload=upload_file(CAT), profile_key="ccaa")  # the check rejects it
    assert Notification.objects.filter(recipient=candidate, kind="photo.rejected").count() == 1

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    page.fill("#id_login", "notice01")
    page.fill("#id_password", PASSWORD)
    key = page.locator("input[name='captcha_0']").input_value()
    page.fill("input[name='captcha_1']", CaptchaStore.objects.get(hashkey=key).response)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/enroll/$"))

    # On a phone the menu is collapsed: the header shows the unread count next to the menu button.
    expect(page.get_by_test_id("unread-count")).to_be_hidden()
    expect(page.get_by_test_id("inbox-link-phone")).to_be_visible()
    expect(page.get_by_test_id("inbox-link-phone")).to_contain_text("1")
    screenshot("message-badge-phone")
    page.locator(".navbar-toggler").click()
    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    page.get_by_test_id("inbox-link").click()
    page.wait_for_url(re.compile(r"/messages/$"))
    expect(page.get_by_test_id("notification")).to_have_count(1)
    expect(page.get_by_test_id("notification")).to_contain_text("您的照片未通过审核")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    screenshot("message-centre-phone")

    page.get_by_test_id("notification").click()
    expect(page.get_by_test_id("notification-body")).to_contain_text("未检测到人脸")
    screenshot("message-phone")
    page.get_by_test_id("notification-link").click()
    page.wait_for_url(re.compile(r"/photos/upload/$"))
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    expect(page.get_by_test_id("inbox-link-phone")).to_have_count(0)
