"""培训课程管理 pages (seed 002 §5) of teachers and training institutions: what each may see and do,
the services' refusals shown next to their field, and 404 for what is not theirs."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from certification.models import WorkExperience
from tests.accounts.factories import UserFactory
from tests.certification.factories import institution, officer_of, staff
from training import services
from training.models import (
    Course,
    CourseCategory,
    CourseTeacher,
    MaterialEvaluation,
    TeacherBinding,
    TrainingPlan,
    Unbinding,
)
from training.states import BINDING

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% syllabus\n"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def w(db):
    body = institution("济南示例培训中心", "91370100MA3C5X7R2")
    other = institution("青岛示例培训中心", "91370200MA3C5X7R3")
    category = CourseCategory.objects.create(code="QMS-T", name="QMS 审核员培训")
    association = staff()
    teachers = []
    for username, name in (("wang", "王老师"), ("li", "李老师")):
        teacher = UserFactory(username=username, name=name)
        services.binding_submit(teacher=teacher, category=category, experiences=[{"employer": "某大学", "years": 5}])
        BINDING.perform(teacher.teacher_bindings.get(), "approve", actor=association)
        teachers.append(teacher)
    return {"body": body, "officer": officer_of(body, "trainer"), "other_officer": officer_of(other, "other"),
            "category": category, "staff": association, "teachers": teachers}


def draft(w, teachers=None, title="QMS 内审员"):
    return services.course_save(actor=w["officer"], category=w["category"], title=title, hours=16,
                                syllabus="第一天……", teachers=teachers or w["teachers"])


def filed(w, teachers=None):
    course = draft(w, teachers)
    services.course_submit(course=course, actor=w["officer"])
    for row in course.teachers.all():
        services.teacher_answer(course_teacher=row, teacher=row.teacher, confirm=True)
    return services.course_decide(course=course, actor=w["staff"], action="approve")


# --------------------------------------------------------------------------- teachers


def test_a_teacher_binds_a_category_with_library_and_typed_experience(w):
    person = UserFactory(username="zhao", name="赵老师")
    entry = WorkExperience.objects.create(person=person, employer="山东大学", position="讲师",
                                          started_on=datetime.date(2015, 9, 1))
    client = client_for(person)
    page = client.get(reverse("training:binding-create"))
    assert page.status_code == 200 and "山东大学" in page.content.decode()
    refused = client.post(reverse("training:binding-create"), {"category": w["category"].pk})
    assert refused.status_code == 409
    assert "Add the work or teaching experience" in refused.content.decode()
    response = client.post(reverse("training:binding-create"), {
        "category": w["category"].pk, "experiences": [entry.pk], "new_kind": "teaching",
        "new_employer": "某培训中心", "new_position": "ISO 9001 内审员课程", "new_started_on": "2018-03-01"})
    assert response.status_code == 302
    binding = TeacherBinding.objects.get(teacher=person)
    assert binding.status == "submitted"
    assert [e["source"] for e in binding.experiences] == ["library", "typed"]
    listing = client.get(reverse("training:binding-list")).content.decode()
    assert "Waiting for review" in listing and f'data-testid="withdraw-binding-{binding.pk}"' in listing
    client.post(reverse("training:binding-withdraw", args=[binding.pk]))
    binding.refresh_from_db()
    assert binding.status == "withdrawn"


def test_a_teacher_confirms_or_declines_only_courses_they_are_named_on(w):
    first, second = w["teachers"]
    course = draft(w)
    services.course_submit(course=course, actor=w["officer"])
    outsider = UserFactory(username="outsider")
    assert client_for(outsider).get(reverse("training:teacher-course-detail", args=[course.pk])).status_code == 404
    assert client_for(w["officer"]).get(reverse("training:teacher-course-list")).status_code == 404
    client = client_for(first)
    listing = client.get(reverse("training:teacher-course-list")).content.decode()
    assert f'data-testid="course-{course.pk}"' in listing and "Waiting for confirmation" in listing
    page = client.get(reverse("training:teacher-course-detail", args=[course.pk])).content.decode()
    assert 'data-testid="send-answer"' in page and 'data-testid="ask-to-leave"' not in page  # not filed yet
    missing_opinion = client.post(reverse("training:teacher-course-detail", args=[course.pk]), {"decision": "decline"})
    assert missing_opinion.status_code == 400 and "Give the reason" in missing_opinion.content.decode()
    assert client.post(reverse("training:teacher-course-detail", args=[course.pk]),
                       {"decision": "confirm", "opinion": "同意"}).status_code == 302
    assert 'data-testid="send-answer"' not in client.get(
        reverse("training:teacher-course-detail", args=[course.pk])).content.decode()
    client_for(second).post(reverse("training:teacher-course-detail", args=[course.pk]),
                            {"decision": "decline", "opinion": "时间冲突"})
    course.refresh_from_db()
    assert course.status == "returned"
    assert course.teachers.get(teacher=second).opinion == "时间冲突"


def test_a_teacher_asks_to_leave_a_filed_course_and_the_institution_agrees(w):
    first, _second = w["teachers"]
    course = filed(w)
    client = client_for(first)
    page = client.get(reverse("training:teacher-course-detail", args=[course.pk])).content.decode()
    assert 'data-testid="ask-to-leave"' in page
    assert client.post(reverse("training:teacher-course-leave", args=[course.pk]), {"reason": ""}).status_code == 400
    assert client.post(reverse("training:teacher-course-leave", args=[course.pk]),
                       {"reason": "工作调整"}).status_code == 302
    unbinding = Unbinding.objects.get()
    page = client.get(reverse("training:teacher-course-detail", args=[course.pk])).content.decode()
    assert 'data-testid="ask-to-leave"' not in page and 'data-testid="withdraw-unbinding"' in page

    assert client_for(w["other_officer"]).get(
        reverse("training:unbinding-detail", args=[unbinding.pk])).status_code == 404
    officer = client_for(w["officer"])
    assert f'data-testid="unbinding-{unbinding.pk}"' in officer.get(reverse("training:unbinding-list")).content.decode()
    no_reason = officer.post(reverse("training:unbinding-detail", args=[unbinding.pk]), {"decision": "reject"})
    assert no_reason.status_code == 400
    assert officer.post(reverse("training:unbinding-detail", args=[unbinding.pk]),
                        {"decision": "institution_approve"}).status_code == 302
    unbinding.refresh_from_db()
    assert unbinding.status == "association_review"
    assert 'data-testid="decide"' not in officer.get(
        reverse("training:unbinding-detail", args=[unbinding.pk])).content.decode()


def test_a_teacher_answers_a_plan_with_a_result_and_a_reason(w):
    first, _second = w["teachers"]
    course = filed(w)
    day = timezone.localdate() + datetime.timedelta(days=20)
    plan = services.plan_save(actor=w["officer"], course=course, teachers=[first], starts_on=day, ends_on=day,
                              place="济南", capacity=30)
    client = client_for(first)
    assert client.get(reverse("training:teacher-plan-detail", args=[plan.pk])).status_code == 404  # a draft
    services.plan_report(plan=plan, actor=w["officer"])
    assert f'data-testid="plan-{plan.pk}"' in client.get(reverse("training:teacher-plan-list")).content.decode()
    assert client_for(w["teachers"][1]).get(reverse("training:teacher-plan-detail", args=[plan.pk])).status_code == 404
    response = client.post(reverse("training:teacher-plan-detail", args=[plan.pk]),
                           {"decision": "confirm", "opinion": "可以授课"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "reported" and plan.teachers.get().reason == "可以授课"


# --------------------------------------------------------------------------- training institutions


def test_an_institution_files_a_course_and_a_stranger_is_refused_next_to_the_teachers(w):
    stranger = UserFactory(username="stranger", name="外聘老师")
    other_category = CourseCategory.objects.create(code="EMS-T", name="EMS 审核员培训")
    services.binding_submit(teacher=stranger, category=other_category, experiences=[{"employer": "某公司"}])
    BINDING.perform(stranger.teacher_bindings.get(), "approve", actor=w["staff"])
    client = client_for(w["officer"])
    data = {"category": w["category"].pk, "title": "QMS 内审员", "hours": 16, "syllabus": "大纲",
            "teachers": [w["teachers"][0].pk, stranger.pk]}
    refused = client.post(reverse("training:course-create"), data)
    assert refused.status_code == 409
    assert "外聘老师 is not bound to the category" in refused.content.decode()
    assert not Course.objects.exists()
    data["teachers"] = [t.pk for t in w["teachers"]]
    response = client.post(reverse("training:course-create"), data)
    course = Course.objects.get()
    assert response.status_code == 302 and response.url == reverse("training:course-detail", args=[course.pk])
    page = client.get(response.url).content.decode()
    assert 'data-testid="submit-course"' in page and 'data-testid="edit-course"' in page
    # Editing the draft takes a teacher off it.
    client.post(reverse("training:course-edit", args=[course.pk]), {**data, "teachers": [w["teachers"][0].pk]})
    assert list(course.teachers.values_list("teacher_id", flat=True)) == [w["teachers"][0].pk]
    client.post(reverse("training:course-submit", args=[course.pk]))
    course.refresh_from_db()
    assert course.status == "teacher_confirmation"
    page = client.get(reverse("training:course-detail", args=[course.pk])).content.decode()
    assert 'data-testid="submit-course"' not in page and 'data-testid="edit-course"' not in page
    assert client.get(reverse("training:course-edit", args=[course.pk])).status_code == 302


def test_another_institution_and_teachers_get_404_on_an_institution_s_course(w):
    course = draft(w)
    for user in (w["other_officer"], w["teachers"][0]):
        client = client_for(user)
        assert client.get(reverse("training:course-detail", args=[course.pk])).status_code == 404
        assert client.post(reverse("training:course-submit", args=[course.pk])).status_code == 404
        assert client.post(reverse("training:course-withdraw", args=[course.pk])).status_code == 404
    assert client_for(w["teachers"][0]).get(reverse("training:course-list")).status_code == 404
    course.refresh_from_db()
    assert course.status == "draft"


def test_material_is_refused_by_content_next_to_the_file_and_an_evaluation_shows_its_outcome(w):
    course = filed(w)
    client = client_for(w["officer"])
    url = reverse("training:material-add", args=[course.pk])
    refused = client.post(url, {"file": SimpleUploadedFile("课件.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 32)})
    assert refused.status_code == 409 and "renaming a file does not change its format" in refused.content.decode()
    assert 'data-testid="ask-evaluation"' not in refused.content.decode()
    assert client.post(url, {"file": SimpleUploadedFile("课件.pdf", PDF)}).status_code == 302
    assert client.post(reverse("training:evaluation-request", args=[course.pk]), {"kind": "document"}).status_code == 302
    evaluation = MaterialEvaluation.objects.get()
    assert evaluation.purpose == "online_course" and evaluation.status == "waiting"
    again = client.post(reverse("training:evaluation-request", args=[course.pk]), {"kind": "document"})
    assert again.status_code == 409 and "already waits for an evaluation" in again.content.decode()
    MaterialEvaluation.objects.filter(pk=evaluation.pk).update(status="passed", scores={"1": 8, "2": 4},
                                                               opinion="内容准确", decided_at=timezone.now())
    page = client.get(reverse("training:course-detail", args=[course.pk])).content.decode()
    assert "Passed" in page and ">12<" in page and "内容准确" in page


def test_plans_refuse_a_teacher_on_overlapping_dates_next_to_the_teachers(w):
    first, _second = w["teachers"]
    course = filed(w)
    day = timezone.localdate() + datetime.timedelta(days=30)
    services.plan_save(actor=w["officer"], course=course, teachers=[first], starts_on=day,
                       ends_on=day + datetime.timedelta(days=2), place="济南", capacity=30)
    client = client_for(w["officer"])
    data = {"course": course.pk, "starts_on": (day + datetime.timedelta(days=1)).isoformat(),
            "ends_on": (day + datetime.timedelta(days=3)).isoformat(), "place": "青岛", "capacity": 20,
            "teachers": [first.pk]}
    refused = client.post(reverse("training:plan-create"), data)
    assert refused.status_code == 409 and "王老师 already teaches" in refused.content.decode()
    assert TrainingPlan.objects.count() == 1
    no_place = client.post(reverse("training:plan-create"), {**data, "place": "",
                                                            "starts_on": (day + datetime.timedelta(days=5)).isoformat(),
                                                            "ends_on": (day + datetime.timedelta(days=6)).isoformat()})
    assert no_place.status_code == 400 and "Give the place, or tick Online." in no_place.content.decode()
    response = client.post(reverse("training:plan-create"), {
        **data, "place": "", "online": "on", "starts_on": (day + datetime.timedelta(days=5)).isoformat(),
        "ends_on": (day + datetime.timedelta(days=6)).isoformat()})
    assert response.status_code == 302
    plan = TrainingPlan.objects.latest("pk")
    page = client.get(reverse("training:plan-detail", args=[plan.pk])).content.decode()
    assert 'data-testid="report-plan"' in page and 'data-testid="cancel-plan"' in page
    client.post(reverse("training:plan-report", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == "teacher_confirmation"
    page = client.get(reverse("training:plan-detail", args=[plan.pk])).content.decode()
    assert 'data-testid="report-plan"' not in page and 'data-testid="cancel-plan"' in page
    assert client_for(w["other_officer"]).get(reverse("training:plan-detail", args=[plan.pk])).status_code == 404
    client.post(reverse("training:plan-cancel", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == "cancelled"


def test_lists_search_filter_and_page(w):
    for n in range(22):
        Course.objects.create(institution=w["body"], category=w["category"], title=f"课程{n:02d}", hours=8,
                              syllabus="大纲")
    client = client_for(w["officer"])
    first = client.get(reverse("training:course-list")).content.decode()
    assert 'data-testid="next-page"' in first
    assert client.get(reverse("training:course-list"), {"page": 2}).status_code == 200
    found = client.get(reverse("training:course-list"), {"q": "课程07"}).content.decode()
    assert "课程07" in found and "课程08" not in found
    assert "Nothing matches" in client.get(reverse("training:course-list"), {"status": "filed"}).content.decode()
    assert CourseTeacher.objects.count() == 0
