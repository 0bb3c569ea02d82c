"""培训 from a course filing to an online-course evaluation's result, walked in headless Chromium on the
real pages only, by the people of the chain (issue 16, "Demo and tests"), each in their own browser:

institution user: 课程备案申请 naming two bound teachers, uploads a PDF as material, 提交备案 ·
each teacher: 课程备案管理 → the course → 确认 with an opinion ·
association staff (Django admin): the filing's 备案通过 decision (a filing number) ·
institution: sees 已备案 and the number, reports a 培训计划 naming one teacher ·
that teacher: 培训计划 → the plan → 确认 with a reason ·
institution: sees 已上报, asks for 网络课程评价 of the material ·
staff (admin): 分配专家 on the evaluation, the expert chosen ·
expert (of another institution): 专家评价 › 网络课程评价 → scores each criterion, an opinion, 通过 ·
institution: sees 通过, the total and the opinion on its course.

The world (a training institution and its user, the category with two teachers whose bindings the
association approved, staff, an expert, the criteria) is set up with services and factories; nothing
moves the course, the plan or the evaluation but the pages."""
import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.demo import credit_code
from accounts.models import Institution
from tests.accounts.factories import UserFactory
from tests.browser.conftest import watch_csp
from tests.browser.screens import DESKTOP, log_in_as
from tests.certification.factories import expert, institution, officer_of, staff
from training import services
from training.models import (
    Course,
    CourseCategory,
    EvaluationCriterion,
    MaterialEvaluation,
    TrainingPlan,
)
from training.states import BINDING

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "QMS 内审员培训"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
TEACHER_OPINION = "同意按大纲授课"
PLAN_REASON = "该时段可以授课"
EXPERT_OPINION = "课件内容准确，结构清晰"


@pytest.fixture
def people(browser, live_server):
    """A browser of their own for each person (their own cookies), at desktop size; any
    Content-Security-Policy violation on any of them fails the test."""
    opened = []

    def person(user):
        context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=DESKTOP)
        page = context.new_page()
        page.set_default_timeout(15_000)
        opened.append((context, watch_csp(page)))
        log_in_as(page, live_server, user)
        return page

    yield person
    violations = [line for _context, seen in opened for line in seen]
    for context, _seen in opened:
        context.close()
    assert violations == [], "a page broke its Content-Security-Policy:\n" + "\n".join(violations)


def heading(page, text):
    expect(page.locator("main h1").first).to_contain_text(text)


def training_world():
    body = Institution.objects.create(name="济南示例培训中心", credit_code=credit_code("91370100MA3C5X7R2"),
                                      kind="training_institution", province="37")
    other = institution("青岛示例认证有限公司", "91370200MA3C5X7R3")
    officer = officer_of(body, "trainer")
    officer.name = "赵培训"
    officer.save(update_fields=["name"])
    association = staff()
    parent = CourseCategory.objects.create(code="MS", name="管理体系")
    category = CourseCategory.objects.create(code="QMS-T", name="QMS 审核员培训", parent=parent)
    teachers = []
    for username, name in (("wang", "王老师"), ("li", "李老师")):
        teacher = UserFactory(username=username, name=name)
        binding = services.binding_submit(teacher=teacher, category=category,
                                          experiences=[{"kind": "teaching", "employer": "山东大学", "position": "讲师"}])
        BINDING.perform(binding, "approve", actor=association)
        teachers.append(teacher)
    judge = expert("judge", other)  # practises at another institution: no conflict of interest
    judge.name = "孙专家"
    judge.save(update_fields=["name"])
    criteria = [EvaluationCriterion.objects.create(kind="document", name="内容准确", max_points=10, order=1),
                EvaluationCriterion.objects.create(kind="document", name="结构清晰", max_points=5, order=2)]
    return {"body": body, "officer": officer, "staff": association, "category": category,
            "teachers": teachers, "expert": judge, "criteria": criteria}


def message_centre(page, notice=None):
    """Where a person starts: the message centre (it has the side menu), with the notice they were sent."""
    page.goto(reverse("inbox:notification-list"))
    if notice:
        expect(page.locator("main")).to_contain_text(notice)


def menu(page, label):
    page.locator("nav.side-menu").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state()


def success(page):
    return page.locator(".alert-success[role=alert]")


def teacher_confirms_course(page, course):
    message_centre(page, f"请确认课程“{TITLE}”")
    menu(page, "课程备案管理")
    heading(page, "课程备案管理")
    row = page.get_by_test_id(f"course-{course.pk}")
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("待教师确认")
    expect(row).to_contain_text("待确认")
    row.get_by_role("link", name="查看").click()
    heading(page, TITLE)
    page.check("input[name='decision'][value='confirm']")
    page.fill("#id_opinion", TEACHER_OPINION)
    page.get_by_test_id("send-answer").click()
    page.wait_for_url(re.compile(r"/teacher/courses/$"))
    expect(success(page)).to_contain_text(TITLE)
    expect(page.get_by_test_id(f"course-{course.pk}")).to_contain_text("已确认")
    return page


def test_a_course_is_filed_planned_and_its_material_evaluated(people, live_server):
    w = training_world()
    first, second = w["teachers"]

    # ------------------------------------------------------------------ the institution files a course
    officer = people(w["officer"])
    message_centre(officer)
    menu(officer, "课程备案")
    heading(officer, "课程备案管理")
    officer.get_by_test_id("new-course").click()
    heading(officer, "课程备案申请")
    officer.select_option("#id_category", str(w["category"].pk))
    officer.fill("#id_title", TITLE)
    officer.fill("#id_hours", "16")
    officer.fill("#id_syllabus", "第一天：标准条款\n第二天：内审实务")
    officer.check("#id_online")
    for teacher in (first, second):
        officer.get_by_label(teacher.name, exact=True).check()
    officer.get_by_test_id("save-course").click()
    officer.wait_for_url(re.compile(r"/institution/courses/\d+/$"))
    course = Course.objects.get(title=TITLE)
    heading(officer, TITLE)
    expect(officer.get_by_test_id("course-status")).to_have_text("草稿")
    expect(officer.get_by_test_id("filing-number")).to_have_text("—")

    officer.set_input_files("#id_file", files=[{"name": "课件.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    officer.get_by_test_id("upload-material").click()
    expect(success(officer)).to_contain_text("课件.pdf")
    expect(officer.get_by_test_id("materials")).to_contain_text("课件.pdf")

    officer.get_by_test_id("submit-course").click()
    expect(success(officer)).to_contain_text(TITLE)
    expect(officer.get_by_test_id("course-status")).to_have_text("待教师确认")
    for teacher in (first, second):
        expect(officer.get_by_test_id(f"teacher-{teacher.pk}")).to_contain_text("待确认")
    expect(officer.get_by_test_id("submit-course")).to_have_count(0)

    # ------------------------------------------------------------------ each teacher confirms
    wang = teacher_confirms_course(people(first), course)
    teacher_confirms_course(people(second), course)
    officer.reload()
    expect(officer.get_by_test_id("course-status")).to_have_text("协会审核")
    for teacher in (first, second):
        expect(officer.get_by_test_id(f"teacher-{teacher.pk}")).to_contain_text("已确认")
        expect(officer.get_by_test_id(f"teacher-{teacher.pk}")).to_contain_text(TEACHER_OPINION)

    # ------------------------------------------------------------------ staff file it in admin
    admin = people(w["staff"])
    admin.goto(reverse("admin:training_course_change", args=[course.pk]))
    expect(admin.locator("#content")).to_contain_text(TITLE)
    expect(admin.locator(".field-status .readonly")).to_have_text("协会审核")
    admin.get_by_test_id("decisions").get_by_test_id("decision-approve").click()
    expect(admin.locator("ul.messagelist .success")).to_be_visible()
    course.refresh_from_db()
    assert course.status == "filed" and course.filing_number
    expect(admin.locator("#result_list")).to_contain_text(course.filing_number)

    # ------------------------------------------------------------------ the institution sees the number, reports a plan
    message_centre(officer, f"课程“{TITLE}”已备案")
    officer.goto(reverse("training:course-detail", args=[course.pk]))
    expect(officer.get_by_test_id("course-status")).to_have_text("已备案")
    expect(officer.get_by_test_id("filing-number")).to_have_text(course.filing_number)
    menu(officer, "培训计划")
    heading(officer, "培训计划")
    officer.get_by_test_id("new-plan").click()
    heading(officer, "新增培训计划")
    starts = timezone.localdate() + datetime.timedelta(days=30)
    officer.select_option("#id_course", label=f"{TITLE}（{course.filing_number}）")  # the title, not only the number
    officer.fill("#id_starts_on", starts.isoformat())
    officer.fill("#id_ends_on", (starts + datetime.timedelta(days=2)).isoformat())
    officer.fill("#id_place", "济南市历下区示例路 1 号")
    officer.fill("#id_capacity", "40")
    officer.get_by_label(first.name, exact=True).check()
    officer.get_by_test_id("save-plan").click()
    officer.wait_for_url(re.compile(r"/institution/plans/\d+/$"))
    plan = TrainingPlan.objects.get(course=course)
    expect(officer.get_by_test_id("plan-status")).to_have_text("草稿")
    expect(officer.get_by_test_id("plan-facts")).to_contain_text(course.filing_number)
    officer.get_by_test_id("report-plan").click()
    expect(success(officer)).to_be_visible()
    expect(officer.get_by_test_id("plan-status")).to_have_text("待教师确认")
    expect(officer.get_by_test_id("plan-teachers")).to_contain_text("待确认")

    # ------------------------------------------------------------------ the teacher named on the plan confirms
    message_centre(wang)
    menu(wang, "培训计划")
    heading(wang, "培训计划")
    row = wang.get_by_test_id(f"plan-{plan.pk}")
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("待确认")
    row.get_by_role("link", name="详情").click()
    heading(wang, TITLE)
    wang.check("input[name='decision'][value='confirm']")
    wang.fill("#id_opinion", PLAN_REASON)
    wang.get_by_test_id("send-answer").click()
    wang.wait_for_url(re.compile(r"/teacher/plans/$"))
    expect(success(wang)).to_be_visible()
    expect(wang.get_by_test_id(f"plan-{plan.pk}")).to_contain_text("已上报")

    officer.reload()
    expect(officer.get_by_test_id("plan-status")).to_have_text("已上报")
    expect(officer.get_by_test_id("plan-teachers")).to_contain_text(PLAN_REASON)

    # ------------------------------------------------------------------ the institution asks for 网络课程评价
    officer.goto(reverse("training:course-detail", args=[course.pk]))
    officer.select_option("#id_kind", "document")
    officer.get_by_test_id("ask-evaluation").click()
    expect(success(officer)).to_contain_text(TITLE)
    evaluation = MaterialEvaluation.objects.get(course=course)
    expect(officer.get_by_test_id(f"evaluation-{evaluation.pk}")).to_contain_text("待分配专家")

    # ------------------------------------------------------------------ staff assign it to the expert
    admin.goto(reverse("admin:training_materialevaluation_changelist") + "?status__exact=waiting")
    admin.check(f"input[name='_selected_action'][value='{evaluation.pk}']")
    admin.select_option("select[name='action']", "assign_expert")
    admin.locator("button[name='index']").click()
    admin.select_option("#id_expert", str(w["expert"].pk))
    admin.locator("input[name='apply']").click()
    expect(admin.locator("ul.messagelist .success")).to_contain_text("孙专家")
    expect(admin.locator("ul.messagelist .success")).to_contain_text(course.filing_number)

    officer.reload()
    expect(officer.get_by_test_id(f"evaluation-{evaluation.pk}")).to_contain_text("专家评价中")

    # ------------------------------------------------------------------ the expert scores it and passes it
    judge = people(w["expert"])
    message_centre(judge, "有课程材料待您评价")
    menu(judge, "网络课程评价")
    heading(judge, "网络课程评价")
    row = judge.get_by_test_id(f"row-{evaluation.pk}")
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text(course.filing_number)
    expect(row).to_contain_text("济南示例培训中心")
    judge.get_by_test_id(f"evaluate-{evaluation.pk}").click()
    heading(judge, TITLE)
    expect(judge.get_by_test_id("materials")).to_contain_text("课件.pdf")
    accurate, clear = w["criteria"]
    judge.fill(f"#id_score_{accurate.pk}", "8")
    judge.fill(f"#id_score_{clear.pk}", "4")
    judge.check("input[name='result'][value='passed']")
    judge.fill("#id_opinion", EXPERT_OPINION)
    judge.get_by_test_id("evaluation-submit").click()
    done = judge.get_by_test_id("evaluation-done")
    expect(done.get_by_test_id("result")).to_have_text("通过")
    expect(done.get_by_test_id("total")).to_have_text("12")
    expect(done).to_contain_text("8 / 10")
    expect(done.get_by_test_id("opinion")).to_contain_text(EXPERT_OPINION)

    # ------------------------------------------------------------------ the institution sees the result
    officer.reload()
    result = officer.get_by_test_id(f"evaluation-{evaluation.pk}")
    expect(result).to_contain_text("网络课程评价")
    expect(result).to_contain_text("通过")
    expect(result.locator("td").nth(3)).to_have_text("12")
    expect(result).to_contain_text(EXPERT_OPINION)
