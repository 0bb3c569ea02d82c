"""Training through its services (SPEC H1–H6): what a teacher, a training institution, an expert and
the association see happen."""
import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certification.models import PracticingRelation
from core.models import Notification
from tests.accounts.factories import UserFactory
from tests.certification.factories import institution, officer_of, staff
from training import services
from training.exceptions import TrainingRefused
from training.models import Course, CourseCategory, EvaluationCriterion

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% syllabus\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


@pytest.fixture
def world(db):
    body = institution("济南示例培训中心", "91370100MA3C5X7R2")
    category = CourseCategory.objects.create(code="QMS-T", name="QMS 审核员培训")
    association = staff()
    teachers = []
    for name in ("王老师", "李老师"):
        teacher = UserFactory(name=name)
        services.binding_submit(teacher=teacher, category=category, experiences=[{"employer": "某大学", "years": 5}])
        binding = teacher.teacher_bindings.get()
        from training.states import BINDING

        BINDING.perform(binding, "approve", actor=association)
        teachers.append(teacher)
    return {"body": body, "officer": officer_of(body, "trainer"), "category": category, "staff": association,
            "teachers": teachers}


def filed_course(world):
    course = services.course_save(actor=world["officer"], category=world["category"], title="QMS 内审员",
                                  hours=16, syllabus="第一天……", teachers=world["teachers"])
    services.course_submit(course=course, actor=world["officer"])
    for row in course.teachers.all():
        services.teacher_answer(course_teacher=row, teacher=row.teacher, confirm=True)
    return services.course_decide(course=course, actor=world["staff"], action="approve")


def test_only_teachers_bound_to_the_category_can_be_named(world):
    stranger = UserFactory(name="外聘老师")
    with pytest.raises(TrainingRefused) as refused:
        services.course_save(actor=world["officer"], category=world["category"], title="QMS 内审员", hours=16,
                             syllabus="大纲", teachers=[world["teachers"][0], stranger])
    assert "外聘老师" in refused.value.message and refused.value.field == "teachers"
    assert not Course.objects.exists()


def test_a_filing_waits_for_every_teacher_and_a_decline_returns_it(world):
    first, second = world["teachers"]
    course = services.course_save(actor=world["officer"], category=world["category"], title="QMS 内审员",
                                  hours=16, syllabus="大纲", teachers=[first, second])
    services.course_submit(course=course, actor=world["officer"])
    assert Notification.objects.filter(kind="training.confirm_course", recipient=second).exists()
    services.teacher_answer(course_teacher=course.teachers.get(teacher=first), teacher=first, confirm=True)
    course.refresh_from_db()
    assert course.status == "teacher_confirmation"  # still waiting for the second
    services.teacher_answer(course_teacher=course.teachers.get(teacher=second), teacher=second, confirm=False,
                            opinion="时间冲突")
    course.refresh_from_db()
    assert course.status == "returned"
    assert Notification.objects.filter(kind="training.course_returned", recipient=world["officer"]).exists()
    services.course_submit(course=course, actor=world["officer"])  # asked again, both
    assert set(course.teachers.values_list("status", flat=True)) == {"pending"}
    for row in course.teachers.all():
        services.teacher_answer(course_teacher=row, teacher=row.teacher, confirm=True)
    course.refresh_from_db()
    assert course.status == "association_review"
    services.course_decide(course=course, actor=world["staff"], action="approve")
    course.refresh_from_db()
    assert course.status == "filed" and course.filing_number.startswith("PX")
    assert course.rereview_due_on > timezone.localdate()


def test_the_last_teacher_leaving_a_filed_course_is_flagged_to_the_institution(world):
    course = services.course_save(actor=world["officer"], category=world["category"], title="单师课程", hours=8,
                                  syllabus="大纲", teachers=[world["teachers"][0]])
    services.course_submit(course=course, actor=world["officer"])
    row = course.teachers.get()
    services.teacher_answer(course_teacher=row, teacher=row.teacher, confirm=True)
    services.course_decide(course=course, actor=world["staff"], action="approve")
    unbinding = services.unbinding_request(course_teacher=row, teacher=row.teacher, reason="工作调整")
    with pytest.raises(TrainingRefused):  # the institution reviews first
        services.unbinding_decide(unbinding=unbinding, actor=world["staff"], action="approve")
    services.unbinding_decide(unbinding=unbinding, actor=world["officer"], action="institution_approve")
    services.unbinding_decide(unbinding=unbinding, actor=world["staff"], action="approve")
    row.refresh_from_db()
    assert not row.active
    assert Notification.objects.filter(kind="training.course_without_teacher", recipient=world["officer"]).exists()


def test_a_teacher_cannot_be_named_on_plans_with_overlapping_dates(world):
    course = filed_course(world)
    first, _second = world["teachers"]
    day = timezone.localdate() + datetime.timedelta(days=30)
    services.plan_save(actor=world["officer"], course=course, teachers=[first], starts_on=day,
                       ends_on=day + datetime.timedelta(days=2), place="济南", capacity=30)
    with pytest.raises(TrainingRefused) as refused:
        services.plan_save(actor=world["officer"], course=course, teachers=[first],
                           starts_on=day + datetime.timedelta(days=2), ends_on=day + datetime.timedelta(days=3),
                           place="青岛", capacity=30)
    assert "王老师" in refused.value.message
    later = services.plan_save(actor=world["officer"], course=course, teachers=[first],
                               starts_on=day + datetime.timedelta(days=3), ends_on=day + datetime.timedelta(days=4),
                               online=True, capacity=100)
    services.plan_report(plan=later, actor=world["officer"])
    services.plan_teacher_answer(plan_teacher=later.teachers.get(), teacher=first, confirm=True, reason="可以")
    later.refresh_from_db()
    assert later.status == "reported"


def test_material_is_checked_by_its_content(world):
    course = filed_course(world)
    with pytest.raises(TrainingRefused):
        services.material_add(course=course, actor=world["officer"],
                              upload=SimpleUploadedFile("课件.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 32))
    assert services.material_add(course=course, actor=world["officer"],
                                 upload=SimpleUploadedFile("第一讲.mp4", MP4)).kind == "video"
    assert services.material_add(course=course, actor=world["officer"],
                                 upload=SimpleUploadedFile("课件.pdf", PDF)).kind == "document"


def expert_of(body=None, name="专家"):
    expert = UserFactory(name=name)
    expert.groups.add(Group.objects.get(name="expert"))
    if body is not None:
        PracticingRelation.objects.create(person=expert, institution=body, started_on=datetime.date(2020, 1, 1))
    return expert


def test_an_online_course_is_evaluated_by_an_expert_against_the_criteria(world):
    course = filed_course(world)
    services.material_add(course=course, actor=world["officer"], upload=SimpleUploadedFile("课件.pdf", PDF))
    content = EvaluationCriterion.objects.create(kind="document", name="内容准确", max_points=10)
    EvaluationCriterion.objects.create(kind="document", name="结构清晰", max_points=5)
    evaluation = services.evaluation_open(course=course, purpose="online_course", kind="document",
                                          actor=world["officer"])
    with pytest.raises(TrainingRefused):
        services.evaluation_assign(evaluation=evaluation, actor=world["staff"],
                                   expert=expert_of(world["body"], "本机构专家"))
    judge = expert_of(name="外部专家")
    services.evaluation_assign(evaluation=evaluation, actor=world["staff"], expert=judge)
    with pytest.raises(TrainingRefused):  # more points than the criterion gives
        services.evaluation_submit(evaluation=evaluation, expert=judge, scores={content.pk: 11}, opinion="",
                                   passed=True)
    criteria = {c.pk: 4 for c in EvaluationCriterion.objects.all()}
    done = services.evaluation_submit(evaluation=evaluation, expert=judge, scores=criteria, opinion="较好",
                                      passed=True)
    assert (done.status, done.total) == ("passed", 8)


def test_a_failed_re_review_withdraws_the_filing_and_a_passed_one_renews_it(world):
    course = filed_course(world)
    Course.objects.filter(pk=course.pk).update(rereview_due_on=timezone.localdate() - datetime.timedelta(days=1))
    assert list(services.courses_due_for_rereview()) == [course]
    judge = expert_of(name="复审专家")
    evaluation = services.evaluation_open(course=course, purpose="rereview", kind="document", actor=world["staff"])
    assert list(services.courses_due_for_rereview()) == []  # under way
    services.evaluation_assign(evaluation=evaluation, actor=world["staff"], expert=judge)
    services.evaluation_submit(evaluation=evaluation, expert=judge, scores={}, opinion="内容陈旧", passed=False)
    course.refresh_from_db()
    assert course.status == "withdrawn"

    other = filed_course(world)
    Course.objects.filter(pk=other.pk).update(rereview_due_on=timezone.localdate())
    evaluation = services.evaluation_open(course=other, purpose="rereview", kind="document", actor=world["staff"])
    services.evaluation_assign(evaluation=evaluation, actor=world["staff"], expert=judge)
    services.evaluation_submit(evaluation=evaluation, expert=judge, scores={}, opinion="符合", passed=True)
    other.refresh_from_db()
    assert other.status == "filed" and other.rereview_due_on > timezone.localdate()


def test_each_stage_of_an_unbinding_has_its_own_reviewer(world):
    from core.workflow import allowed_actions

    course = filed_course(world)
    row = course.teachers.first()
    unbinding = services.unbinding_request(course_teacher=row, teacher=row.teacher, reason="工作调整")
    assert "reject" not in {a.name for a in allowed_actions(unbinding, world["staff"])}  # the institution's turn
    services.unbinding_decide(unbinding=unbinding, actor=world["officer"], action="institution_approve")
    unbinding.refresh_from_db()
    assert "reject" not in {a.name for a in allowed_actions(unbinding, world["officer"])}  # no overruling later
    assert "reject" in {a.name for a in allowed_actions(unbinding, world["staff"])}


def test_a_teacher_is_asked_to_confirm_with_a_link_to_the_course(world):
    from django.urls import reverse

    course = services.course_save(actor=world["officer"], category=world["category"], title="QMS 内审员",
                                  hours=16, syllabus="大纲", teachers=world["teachers"][:1])
    services.course_submit(course=course, actor=world["officer"])
    notice = Notification.objects.get(kind="training.confirm_course")
    assert notice.url == reverse("training:teacher-course-detail", args=[course.pk])
