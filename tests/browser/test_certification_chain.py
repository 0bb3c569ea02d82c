"""人员注册 from draft to a certificate anyone can verify, walked in headless Chromium on the real
pages only, by the five people of the chain (issue 15, "Demo and tests"), each in their own browser:

applicant: 在线申请 → draft → items from the basic-information library → 提交 ·
institution officer (logs in through 机构登录): 待审核 → 通过 ·
applicant: 个人缴费, uploads a payment voucher ·
association staff (Django admin): confirm the voucher, assign an expert ·
expert (logs in): 专家评价, one audit not conforming with a comment ·
staff: 退回整改 with that item's reason ·
applicant: sees the reason beside the item, replaces it, submits again (the expert's page still
shows the verdict on the removed item) ·
institution approves round 2 (the fee is paid already: no second payment) ·
staff approve · applicant: 我的证书 and the PDF ·
anyone, not logged in: /verify/ by number and check code, and the QR link, show 有效 with the
holder masked.

The world (institutions, users and roles, the track with its requirements and fee, the library) is
set up by tests/certification/factories.py; nothing moves the application but the pages."""
import io
import re

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from certification.models import Application, Certificate, PaymentVoucher
from tests.accounts.factories import PASSWORD
from tests.browser.conftest import watch_csp
from tests.browser.screens import DESKTOP, log_in_as
from tests.certification.factories import expert, world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOT_CONFORMING = "受审核组织2"
EXPERT_COMMENT = "审核计划与审核报告的日期不一致"
STAFF_REASON = "请替换为有完整审核报告的审核经历"


def voucher_png() -> bytes:
    """A small bank voucher picture (a PNG that opens)."""
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def people(browser, live_server):
    """A browser of their own for each person (their own cookies), at desktop size; any
    Content-Security-Policy violation on any of them fails the test."""
    opened = []

    def person(user=None):
        context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=DESKTOP)
        page = context.new_page()
        page.set_default_timeout(15_000)
        seen = watch_csp(page)
        opened.append((context, seen))
        if user is not None:
            log_in_as(page, live_server, user)
        return page

    yield person
    violations = [line for _context, seen in opened for line in seen]
    for context, _seen in opened:
        context.close()
    assert violations == [], "a page broke its Content-Security-Policy:\n" + "\n".join(violations)


def heading(page, text):
    expect(page.locator("main h1, #content h1").first).to_contain_text(text)


def log_in_with_form(page, user, *, institution=False):
    """The login page as the person uses it (the picture code is in test mode)."""
    page.goto(reverse("accounts:login-institution") if institution else reverse("account_login"))
    page.fill("#id_login", user.username)
    page.fill("#id_password", PASSWORD)
    page.fill("input[name='captcha_1']", "passed")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def pick(page, kind, labels):
    page.get_by_test_id(f"pick-{kind}").click()
    heading(page, "基本信息库")
    for label in labels:
        page.get_by_label(re.compile(re.escape(label))).check()
    page.get_by_test_id("pick").click()
    page.wait_for_url(re.compile(r"/edit/"))


def institution_approves(page, app, round_):
    page.goto(reverse("certification:review-list"))
    heading(page, "待审核")
    row = page.get_by_test_id(f"row-{app.number}")
    expect(row).to_contain_text("李审核")
    expect(row).to_contain_text("机构审核")
    row.get_by_role("link", name="审核").click()
    heading(page, app.number)
    expect(page.get_by_test_id("history")).to_contain_text(f"第{round_}轮")
    page.check("input[name='decision'][value='institution_approve']")
    page.get_by_test_id("review-submit").click()
    page.wait_for_url(re.compile(r"/certification/review/$"))
    expect(page.locator(".alert-success")).to_contain_text(app.number)
    expect(page.get_by_test_id(f"row-{app.number}")).to_have_count(0)


def admin_application(page, app, status):
    """The application's page in admin, at `status`; its decisions (what the workflow offers now)."""
    page.goto(reverse("admin:certification_application_change", args=[app.pk]))
    expect(page.locator("#content")).to_contain_text(app.number)
    expect(page.locator(".field-status .readonly")).to_have_text(status)
    return page.get_by_test_id("decisions")


def test_a_registration_goes_from_draft_to_a_certificate_verified_anonymously(people, live_server):
    w = world()
    reviewer = expert("expert", w.other_body)  # of another institution: no conflict of interest
    reviewer.name = "王专家"
    reviewer.save(update_fields=["name"])

    # ------------------------------------------------------------------ the applicant: draft → submitted
    applicant = people(w.applicant)
    applicant.goto(reverse("certification:my-items"))
    applicant.locator("nav").get_by_role("link", name="在线申请", exact=True).click()
    heading(applicant, "在线申请")
    applicant.get_by_test_id("start-registration").click()
    heading(applicant, "人员注册")
    applicant.select_option("#id_track", str(w.track.pk))
    applicant.get_by_test_id("next").click()
    applicant.wait_for_url(re.compile(r"/certification/items/\d+/edit/$"))
    expect(applicant.get_by_test_id("status")).to_have_text("草稿")
    app = Application.objects.get(applicant=w.applicant)

    pick(applicant, "audit", ["受审核组织0", "受审核组织1", NOT_CONFORMING])
    pick(applicant, "work", ["济南示例认证有限公司"])
    pick(applicant, "training", ["QMS 审核员培训"])
    expect(applicant.get_by_test_id("pending-requirements")).to_have_count(0)
    applicant.get_by_test_id("submit").click()
    applicant.wait_for_url(re.compile(rf"/certification/items/{app.pk}/$"))
    expect(applicant.get_by_test_id("status")).to_have_text("机构审核")

    # ------------------------------------------------------------------ the institution: 待审核 → approved
    officer = people()
    log_in_with_form(officer, w.officer, institution=True)
    officer.wait_for_url(re.compile(r"/certification/review/$"))  # an institution user lands on its queue
    institution_approves(officer, app, 1)

    # ------------------------------------------------------------------ the applicant pays by voucher
    applicant.goto(reverse("certification:application-detail", args=[app.pk]))
    expect(applicant.get_by_test_id("status")).to_have_text("待缴费")
    expect(applicant.get_by_test_id("fee")).to_contain_text("300.00")
    applicant.get_by_test_id("pay").click()
    heading(applicant, "个人缴费")
    expect(applicant.get_by_test_id("fee-amount")).to_have_text("300.00")
    applicant.set_input_files("#id_file", files=[{"name": "转账凭证.png", "mimeType": "image/png",
                                                  "buffer": voucher_png()}])
    applicant.get_by_test_id("voucher-submit").click()
    expect(applicant.locator(".alert-success[role=alert]")).to_contain_text("缴费凭证已上传")
    voucher = PaymentVoucher.objects.get(application=app)
    expect(applicant.get_by_test_id(f"voucher-{voucher.pk}").get_by_test_id("voucher-status")).to_have_text("待确认")
    expect(applicant.get_by_test_id("fee-refusal")).to_be_visible()  # no second upload while one waits

    # ------------------------------------------------------------------ staff confirm it and assign an expert
    staff = people(w.staff)
    staff.goto(reverse("admin:certification_paymentvoucher_changelist") + "?status__exact=submitted")
    staff.check(f"input[name='_selected_action'][value='{voucher.pk}']")
    staff.select_option("select[name='action']", "confirm")
    staff.locator("button[name='index']").click()
    expect(staff.locator("ul.messagelist .success")).to_be_visible()

    decisions = admin_application(staff, app, "协会审核")
    decisions.get_by_test_id("decision-assign_expert").click()
    staff.select_option("#id_expert", str(reviewer.pk))
    staff.locator("input[name='apply']").click()
    expect(staff.locator("ul.messagelist .success")).to_contain_text(app.number)

    # ------------------------------------------------------------------ the expert: one item not conforming
    evaluator = people()
    log_in_with_form(evaluator, reviewer)
    evaluator.locator("nav").get_by_role("link", name="待评价业务", exact=True).click()
    heading(evaluator, "专家评价")
    evaluator.get_by_test_id(f"row-{app.number}").get_by_role("link", name="评价").click()
    heading(evaluator, app.number)
    items = list(app.items.order_by("pk"))
    flagged = next(item for item in items if item.data.get("organisation") == NOT_CONFORMING)
    for item in items:
        evaluator.check(f"input[name='verdict_{item.pk}'][value='{'no' if item == flagged else 'yes'}']")
    evaluator.fill(f"#id_comment_{flagged.pk}", EXPERT_COMMENT)
    evaluator.check("input[name='result'][value='not_conforming']")
    evaluator.get_by_test_id("evaluation-submit").click()
    done = evaluator.get_by_test_id("evaluation-done")
    expect(done).to_contain_text("不符合")
    expect(evaluator.get_by_test_id("opinion")).to_contain_text(NOT_CONFORMING)
    expect(evaluator.get_by_test_id("opinion")).to_contain_text(EXPERT_COMMENT)

    # ------------------------------------------------------------------ staff return it for rectification
    decisions = admin_application(staff, app, "协会审批")
    expect(staff.locator("#content")).to_contain_text(EXPERT_COMMENT)  # the expert's verdict on the item
    decisions.get_by_test_id("decision-link").click()
    staff.fill(f"#id_item_{flagged.pk}", STAFF_REASON)
    staff.locator("[data-testid=return-form] input[type=submit]").click()
    expect(staff.locator("ul.messagelist .success")).to_contain_text(app.number)

    # ------------------------------------------------------------------ the applicant rectifies and resubmits
    applicant.goto(reverse("certification:my-items"))
    heading(applicant, "我的事项")
    row = applicant.get_by_test_id(f"item-{app.number}")
    expect(row.get_by_test_id("item-status")).to_have_text("退回整改")
    row.get_by_test_id("item-view").click()
    expect(applicant.get_by_test_id("return-reason")).to_contain_text(STAFF_REASON)
    applicant.get_by_test_id("edit").click()
    applicant.wait_for_url(re.compile(r"/edit/$"))
    expect(applicant.get_by_test_id("return-reason")).to_contain_text(STAFF_REASON)
    expect(applicant.get_by_test_id("item-return-reason")).to_have_count(1)
    expect(applicant.get_by_test_id("item-return-reason")).to_contain_text(STAFF_REASON)
    audits = applicant.get_by_test_id("items-audit").get_by_test_id("item")
    audits.filter(has_text=NOT_CONFORMING).get_by_test_id("remove-item").click()
    expect(audits).to_have_count(2)
    applicant.get_by_test_id("add-audit").click()
    applicant.fill("#id_organisation", "受审核组织3")
    applicant.select_option("#id_field", str(w.track.field_id))
    applicant.select_option("#id_role", "leader")
    applicant.fill("#id_audited_on", "2024-05-06")
    applicant.fill("#id_days", "5")
    applicant.get_by_test_id("save-item").click()
    applicant.wait_for_url(re.compile(r"/edit/"))
    expect(audits).to_have_count(3)
    expect(applicant.get_by_test_id("items-audit")).to_contain_text("受审核组织3")
    applicant.get_by_test_id("submit").click()
    applicant.wait_for_url(re.compile(rf"/certification/items/{app.pk}/$"))
    expect(applicant.get_by_test_id("status")).to_have_text("机构审核")
    expect(applicant.locator("#data-heading")).to_have_text("提交内容（第2轮）")

    # The expert's evaluation still shows the verdict on the item the applicant has since removed.
    evaluator.goto(reverse("certification:evaluation", args=[app.pk]))
    verdict = evaluator.get_by_test_id("evaluation-done").locator("tbody tr").filter(has_text=NOT_CONFORMING)
    expect(verdict).to_contain_text("不符合")
    expect(verdict).to_contain_text(EXPERT_COMMENT)

    # ------------------------------------------------------------------ round 2: the institution again, no second fee
    institution_approves(officer, app, 2)
    applicant.goto(reverse("certification:application-detail", args=[app.pk]))
    expect(applicant.get_by_test_id("vouchers")).to_contain_text("已确认")
    expect(applicant.get_by_test_id("status")).to_have_text("协会审核")  # paid in round 1: not asked again
    expect(applicant.get_by_test_id("pay")).to_have_count(0)

    # ------------------------------------------------------------------ staff approve: the certificate is issued
    decisions = admin_application(staff, app, "协会审核")
    decisions.get_by_test_id("decision-approve").click()
    expect(staff.locator("ul.messagelist .success")).to_be_visible()
    certificate = Certificate.objects.get(holder=w.applicant)

    # ------------------------------------------------------------------ the applicant: 我的证书 and its PDF
    applicant.goto(reverse("certification:application-detail", args=[app.pk]))
    expect(applicant.get_by_test_id("status")).to_have_text("审核通过")
    applicant.locator("nav").get_by_role("link", name="我的证书", exact=True).click()
    heading(applicant, "我的证书")
    row = applicant.get_by_test_id(f"certificate-{certificate.number}")
    expect(row.get_by_test_id("certificate-status")).to_have_text("有效")
    expect(row).to_contain_text("济南示例认证有限公司")
    pdf = applicant.request.get(row.get_by_test_id("certificate-pdf").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    qr_link = row.get_by_test_id("certificate-verify").get_attribute("href")

    # ------------------------------------------------------------------ anyone verifies it, not logged in
    visitor = people()
    visitor.goto(reverse("verify:verify"))
    heading(visitor, "证书查询")
    visitor.fill("#id_number", certificate.number)
    visitor.fill("#id_code", certificate.verification_code)
    visitor.get_by_test_id("verify-submit").click()
    result = visitor.get_by_test_id("verify-result")
    expect(visitor.get_by_test_id("verify-status")).to_have_text("有效")
    expect(visitor.get_by_test_id("verify-holder")).to_have_text("李**")
    expect(visitor.get_by_test_id("verify-number")).to_have_text(certificate.number)
    expect(result).not_to_contain_text("李审核")
    visitor.goto(qr_link)
    expect(visitor.get_by_test_id("verify-status")).to_have_text("有效")
    expect(visitor.get_by_test_id("verify-holder")).to_have_text("李**")
