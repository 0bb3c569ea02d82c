"""A seeded candidate walks the enrollment wizard to the confirmation in headless Chromium."""
import re

import pytest
from captcha.models import CaptchaStore
from playwright.sync_api import expect

from exams import demo
from exams.models import Area
from registration.models import Enrollment
from tests.accounts.factories import PASSWORD, EducationFactory, UserFactory
from tests.photos.factories import approved_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_candidate_enrolls_up_to_the_confirmation(page, screenshot):
    exam = demo.seed()
    candidate = UserFactory(username="wizard01", name="韩梅梅")
    EducationFactory(user=candidate)
    approved_photo(candidate)

    page.goto("/accounts/login/")
    page.fill("#id_login", "wizard01")
    page.fill("#id_password", PASSWORD)
    key = page.locator("input[name='captcha_0']").input_value()
    page.fill("input[name='captcha_1']", CaptchaStore.objects.get(hashkey=key).response)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/enroll/$"))
    screenshot("exam-list")

    page.get_by_role("link", name=exam.name).click()
    page.check("#id_accept")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/enroll/\d+/$"))

    page.get_by_test_id("next-step").click()  # registration information
    page.select_option("#id_ethnicity", "01")
    page.fill("#id_residence_city", "济南市历下区")
    page.select_option("#id_education_level", "bachelor")
    page.fill("#id_mailing_address", "济南市历下区经十路 1 号")
    page.check("input[name=invoice_wanted][value=True]")
    page.select_option("#id_invoice_type", "personal")
    expect(page.locator("#id_invoice_title")).to_have_value("韩梅梅")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/enroll/\d+/$"))

    page.get_by_test_id("next-step").click()  # subjects
    page.get_by_label(re.compile("认证通用基础")).check()
    page.get_by_label(re.compile("QMS 基础知识")).check()
    expect(page.get_by_test_id("total-fee")).to_have_text("160.00")
    screenshot("subjects")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/enroll/\d+/$"))

    page.get_by_test_id("next-step").click()  # area
    expect(page.get_by_test_id("area-availability")).to_contain_text("上海")
    page.select_option("#id_area", str(Area.objects.get(name="济南").pk))
    screenshot("area")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/enroll/\d+/$"))

    page.get_by_test_id("next-step").click()  # confirmation
    expect(page.get_by_test_id("summary-area")).to_have_text("济南")
    expect(page.get_by_test_id("summary-total")).to_contain_text("160.00")
    page.check("#id_confirm")
    screenshot("confirm")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/enroll/\d+/$"))
    enrollment = Enrollment.objects.get(candidate=candidate)
    assert enrollment.status == "confirmed"
    expect(page.get_by_test_id("enrollment-status")).to_have_text(enrollment.get_status_display())
