"""An applicant walks 人员注册 in Chromium, under the Content-Security-Policy (seed 002 §3.1): 在线申请 →
在线办理 → pick one audit from the basic-information library → 提交 lists every unmet requirement →
pick the rest, attach a PDF → 提交 → the detail page and 我的事项 show it waiting for the institution;
on a phone the pages fit the screen."""
import re

import pytest
from playwright.sync_api import expect

from certification.models import Application, Evidence
from tests.browser.screens import log_in_as
from tests.certification.factories import world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pick(page, kind, labels):
    page.get_by_test_id(f"pick-{kind}").click()
    for label in labels:
        page.get_by_label(re.compile(re.escape(label))).check()
    page.get_by_test_id("pick").click()
    page.wait_for_url(re.compile(r"/edit/"))


def test_an_applicant_registers_from_draft_to_submitted(page, live_server, screenshot):
    w = world()
    log_in_as(page, live_server, w.applicant)

    page.goto("/certification/apply/")
    expect(page.get_by_test_id("services").locator(".card")).to_have_count(5)
    page.get_by_test_id("start-registration").click()
    expect(page.get_by_test_id("practicing-institution")).to_contain_text("济南示例认证有限公司")
    page.select_option("#id_track", str(w.track.pk))
    page.get_by_test_id("next").click()
    page.wait_for_url(re.compile(r"/certification/items/\d+/edit/$"))
    app = Application.objects.get(applicant=w.applicant)
    assert app.status == "draft"

    pick(page, "audit", ["受审核组织0"])
    expect(page.get_by_test_id("items-audit").get_by_test_id("item")).to_have_count(1)
    page.get_by_test_id("submit").click()
    problems = page.get_by_test_id("submit-problems").locator("li")
    expect(problems).to_have_count(3)  # audit days, training hours, a work experience: each on its own line
    expect(problems.nth(0)).to_contain_text("10")
    screenshot("certification-submit-problems")

    pick(page, "audit", ["受审核组织1", "受审核组织2"])
    pick(page, "work", ["济南示例认证有限公司"])
    pick(page, "training", ["QMS 审核员培训"])
    expect(page.get_by_test_id("pending-requirements")).to_have_count(0)
    page.set_input_files("#id_file", files=[{"name": "培训证书.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("files")).to_contain_text("培训证书.pdf")
    assert Evidence.objects.filter(application=app).count() == 1
    screenshot("certification-edit")

    page.get_by_test_id("submit").click()
    page.wait_for_url(re.compile(rf"/certification/items/{app.pk}/$"))
    app.refresh_from_db()
    assert (app.status, app.round) == ("institution_review", 1)
    expect(page.get_by_test_id("timeline").get_by_test_id("step")).to_have_count(2)
    expect(page.get_by_test_id("next-actions").locator("a, button")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="培训证书.pdf").click()
    assert download.value.suggested_filename == "培训证书.pdf"
    screenshot("certification-detail")

    page.goto("/certification/items/")
    row = page.get_by_test_id(f"item-{app.number}")
    expect(row.get_by_test_id("item-edit")).to_have_count(0)
    expect(row.get_by_test_id("item-view")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/certification/items/", f"/certification/items/{app.pk}/", "/certification/library/",
                 "/certification/apply/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.goto(f"/certification/items/{app.pk}/")
    screenshot("certification-detail-phone")
