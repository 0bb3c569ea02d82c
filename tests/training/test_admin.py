"""Association staff in Django admin for training (SPEC H1–H6): categories and criteria edited (audited),
bindings, course filings and unbindings decided through the workflow's actions, material downloaded
by staff only, evaluations assigned to an expert with conflicts named per row, re-reviews opened for
courses past their date; the plan calendar under /staff/."""
import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from core.models import Assignment, AuditEntry
from tests.accounts.factories import UserFactory
from tests.training import test_services
from tests.training.test_services import PDF, expert_of, filed_course
from training import services
from training.models import (
    Course,
    CourseCategory,
    EvaluationCriterion,
    MaterialEvaluation,
)
from training.states import BINDING

pytestmark = pytest.mark.django_db
world = test_services.world  # the fixture: an institution, a category, two bound teachers, staff


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def client_of(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def act(client, model: str, action: str, objs, **extra):
    return client.post(reverse(f"admin:training_{model}_changelist"),
                       {"action": action, "_selected_action": [str(o.pk) for o in objs], "index": "0", **extra},
                       follow=True)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def course_at_association(world):
    course = services.course_save(actor=world["officer"], category=world["category"], title="QMS 内审员",
                                  hours=16, syllabus="第一天……", teachers=world["teachers"])
    services.course_submit(course=course, actor=world["officer"])
    for row in course.teachers.all():
        services.teacher_answer(course_teacher=row, teacher=row.teacher, confirm=True, opinion="同意")
    course.refresh_from_db()
    return course


def test_staff_add_a_category_under_another_and_the_edit_is_audited(world):
    client = client_of(world["staff"])
    response = client.post(reverse("admin:training_coursecategory_add"),
                           {"code": "QMS-T-INT", "name": "内审员培训", "parent": world["category"].pk, "order": 1})
    assert response.status_code == 302
    child = CourseCategory.objects.get(code="QMS-T-INT")
    assert child.parent == world["category"]
    assert AuditEntry.objects.filter(action="training.coursecategory_created", object_id=str(child.pk)).exists()
    response = client.post(reverse("admin:training_evaluationcriterion_add"),
                           {"kind": "video", "name": "画面清晰", "max_points": 20, "order": 0})
    assert response.status_code == 302 and EvaluationCriterion.objects.get(name="画面清晰").max_points == 20


def test_a_binding_is_returned_with_a_reason_then_approved(world):
    teacher = UserFactory(name="新老师")
    binding = services.binding_submit(teacher=teacher, category=world["category"],
                                      experiences=[{"employer": "某大学", "years": 3}])
    client = client_of(world["staff"])
    page = client.get(reverse("admin:training_teacherbinding_change", args=[binding.pk])).content.decode()
    assert "某大学" in page and 'data-testid="decision-approve"' in page and 'name="_save"' not in page
    asked = act(client, "teacherbinding", "return", [binding])
    assert "What to rectify" in asked.content.decode()  # the reason is asked for first
    act(client, "teacherbinding", "return", [binding], apply="1", reason="请补充授课经历")
    binding.refresh_from_db()
    assert binding.status == "returned"
    BINDING.perform(binding, "submit", actor=teacher)  # the teacher sends it again
    act(client, "teacherbinding", "approve", [binding])
    binding.refresh_from_db()
    assert binding.status == "approved"


def test_the_course_page_shows_teachers_and_material_and_staff_file_it(world):
    course = course_at_association(world)
    material = services.material_add(course=course, actor=world["officer"],
                                     upload=SimpleUploadedFile("课件.pdf", PDF))
    client = client_of(world["staff"])
    listing = client.get(reverse("admin:training_course_changelist"),
                         {"status__exact": "association_review"}).content.decode()
    assert "QMS 内审员" in listing
    assert "QMS 内审员" not in client.get(reverse("admin:training_course_changelist"),
                                        {"status__exact": "filed"}).content.decode()
    page = client.get(reverse("admin:training_course_change", args=[course.pk])).content.decode()
    assert "王老师" in page and "同意" in page and f'data-testid="material-{material.pk}"' in page
    assert 'data-testid="decision-approve"' in page and 'name="_save"' not in page
    download = client.get(reverse("admin:training_coursematerial_download", args=[material.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    act(client, "course", "approve", [course])
    course.refresh_from_db()
    assert course.status == "filed" and course.filing_number.startswith("PX")


def test_only_staff_download_material_in_admin(world):
    course = filed_course(world)
    material = services.material_add(course=course, actor=world["officer"],
                                     upload=SimpleUploadedFile("课件.pdf", PDF))
    url = reverse("admin:training_coursematerial_download", args=[material.pk])
    assert client_of(world["officer"]).get(url).status_code == 302  # to the admin login
    assert client_of(world["teachers"][0]).get(url).status_code == 302


def test_staff_withdraw_a_filing_with_a_reason(world):
    course = filed_course(world)
    client = client_of(world["staff"])
    act(client, "course", "withdraw_filing", [course], apply="1", reason="机构已注销")
    course.refresh_from_db()
    assert course.status == "withdrawn"
    assert AuditEntry.objects.filter(action="course.withdrawn", object_id=str(course.pk)).exists()


def test_staff_approve_an_unbinding_the_institution_agreed_to(world):
    course = filed_course(world)
    row = course.teachers.get(teacher=world["teachers"][0])
    unbinding = services.unbinding_request(course_teacher=row, teacher=row.teacher, reason="工作调整")
    client = client_of(world["staff"])
    response = act(client, "unbinding", "approve", [unbinding])  # the institution has not agreed yet
    assert any("not possible" in text for text in texts(response))
    services.unbinding_decide(unbinding=unbinding, actor=world["officer"], action="institution_approve")
    act(client, "unbinding", "approve", [unbinding])
    unbinding.refresh_from_db()
    row.refresh_from_db()
    assert unbinding.status == "approved" and not row.active


def test_evaluations_are_assigned_and_a_conflict_is_named_per_row(world):
    course = filed_course(world)
    services.material_add(course=course, actor=world["officer"], upload=SimpleUploadedFile("课件.pdf", PDF))
    evaluation = services.evaluation_open(course=course, purpose="online_course", kind="document",
                                          actor=world["officer"])
    client = client_of(world["staff"])
    insider = expert_of(world["body"], "本机构专家")
    asked = act(client, "materialevaluation", "assign_expert", [evaluation])
    assert 'name="expert"' in asked.content.decode()
    response = act(client, "materialevaluation", "assign_expert", [evaluation], apply="1", expert=insider.pk)
    assert any("belongs to the course's institution" in text for text in texts(response))
    evaluation.refresh_from_db()
    assert evaluation.status == "waiting"
    judge = expert_of(name="外部专家")
    due = timezone.localdate() + datetime.timedelta(days=7)
    act(client, "materialevaluation", "assign_expert", [evaluation], apply="1", expert=judge.pk,
        due_on=due.isoformat())
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.expert) == ("assigned", judge)
    assert Assignment.objects.get(assignee=judge, done_at=None).due_at.date() == due


def test_courses_due_for_re_review_are_filtered_and_a_re_review_is_opened(world):
    due = filed_course(world)
    fresh = filed_course(world)
    Course.objects.filter(pk=due.pk).update(rereview_due_on=timezone.localdate() - datetime.timedelta(days=1))
    client = client_of(world["staff"])
    listing = client.get(reverse("admin:training_course_changelist"), {"rereview": "due"}).content.decode()
    assert f"/{due.pk}/change/" in listing and f"/{fresh.pk}/change/" not in listing
    act(client, "course", "open_rereview", [due], apply="1", kind="document")
    opened = MaterialEvaluation.objects.get(course=due)
    assert (opened.purpose, opened.kind, opened.status) == ("rereview", "document", "waiting")
    assert list(services.courses_due_for_rereview()) == []
    draft = services.course_save(actor=world["officer"], category=world["category"], title="草稿课程", hours=8,
                                 syllabus="大纲", teachers=[world["teachers"][0]])
    response = act(client, "course", "open_rereview", [draft], apply="1", kind="document")
    assert any("Only a filed course is re-reviewed" in text for text in texts(response))  # none to renew
    assert not MaterialEvaluation.objects.filter(course=draft).exists()


def test_the_plan_calendar_shows_each_plan_on_its_days(world):
    course = filed_course(world)
    start = timezone.localdate().replace(day=10)
    plan = services.plan_save(actor=world["officer"], course=course, teachers=[world["teachers"][0]],
                              starts_on=start, ends_on=start + datetime.timedelta(days=1), place="济南", capacity=30)
    url = reverse("staff:training-plans")
    page = client_of(world["staff"]).get(url).content.decode()
    day = f'data-testid="day-{start:%Y-%m-%d}"'
    assert day in page and f'data-testid="plan-{plan.pk}"' in page
    cell = page.split(day, 1)[1].split("</td>", 1)[0]
    assert "QMS 内审员" in cell
    following = (start.replace(day=28) + datetime.timedelta(days=4)).strftime("%Y-%m")
    later = client_of(world["staff"]).get(url, {"month": following}).content.decode()
    assert f'data-testid="plan-{plan.pk}"' not in later and 'data-testid="no-plans"' in later
    assert client_of(world["teachers"][0]).get(url).status_code == 302  # not staff: to the login
    plans = client_of(world["staff"]).get(reverse("admin:training_trainingplan_changelist")).content.decode()
    assert 'data-testid="plan-calendar"' in plans and f"/{plan.pk}/change/" in plans
