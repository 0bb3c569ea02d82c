"""A person signs up and logs in through the real pages in headless Chromium."""
import re

import pytest
from captcha.models import CaptchaStore
from playwright.sync_api import expect

from accounts.models import SmsMessage, User
from tests.accounts.helpers import VALID_ID

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def solve_captcha(page):
    key = page.locator("input[name='captcha_0']").input_value()
    page.fill("input[name='captcha_1']", CaptchaStore.objects.get(hashkey=key).response)


def test_sign_up_then_log_in(page, screenshot):
    page.goto("/")
    page.get_by_role("link", name="注册账户").first.click()
    page.get_by_role("button", name="我已阅读并接受").click()
    page.get_by_role("button", name="下一步").click()

    page.fill("#id_username", "browser01")
    page.fill("#id_password1", "Str0ng-Passw0rd!")
    page.fill("#id_password2", "Str0ng-Passw0rd!")
    page.fill("#id_name", "王晓[沛]")
    page.fill("#id_id_number", VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"))  # a typo first
    page.fill("#id_email", "browser01@example.org")
    page.fill("#id_mobile", "13812345670")
    page.select_option("#id_education_level", "bachelor")
    page.fill("#id_school", "山东大学")
    page.fill("#id_major", "质量管理工程")
    page.fill("#id_graduated_on", "2017-07-01")
    solve_captcha(page)
    page.get_by_role("button", name="提交").click()
    error = page.locator("#id_id_number ~ .invalid-feedback, #error_1_id_id_number")
    assert "校验" in error.first.inner_text()
    assert page.locator("#id_username").input_value() == "browser01"  # nothing lost
    screenshot("signup-form-error")

    page.fill("#id_id_number", VALID_ID)
    page.fill("#id_password1", "Str0ng-Passw0rd!")
    page.fill("#id_password2", "Str0ng-Passw0rd!")
    solve_captcha(page)
    page.get_by_role("button", name="提交").click()

    page.fill("#id_name", "王晓[沛]")
    page.fill("#id_id_number", VALID_ID)
    page.get_by_role("button", name="确认").click()

    page.get_by_role("button", name="获取短信验证码").click()
    text = SmsMessage.objects.filter(mobile="13812345670").latest("id").text
    page.fill("#id_code", re.search(r"\d{6}", text).group(0))
    page.get_by_role("button", name="完成注册").click()
    assert "注册成功" in page.content()
    assert User.objects.filter(username="browser01", name="王晓[沛]").exists()

    page.get_by_role("link", name="登录").last.click()
    page.fill("#id_login", "13812345670")
    page.fill("#id_password", "Str0ng-Passw0rd!")
    solve_captcha(page)
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url(re.compile(r"/enroll/$"))  # candidates land on 选择考试
    page.get_by_role("link", name="个人信息").click()
    assert page.get_by_test_id("profile-name").inner_text() == "王晓[沛]"
    assert page.get_by_test_id("profile-id").inner_text() == VALID_ID[:4] + "*" * 10 + VALID_ID[-4:]
    screenshot("profile")

    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Personal information")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    assert page.get_by_role("link", name="Log in").first.is_visible()
