"""Training demo data for `seed_demo` (idempotent: a second run finds everything and adds nothing).

A course-category tree and the evaluation criteria; a training institution (山东示例培训中心有限公司, whose
`trainer` login files courses and reports plans); two teachers bound to QMS 审核员培训; a filed course
with a reported plan and a document waiting for an expert's evaluation, a course waiting for
`teacher2`'s confirmation, and a filed course past its re-review date. All moved there through the
real services (training.services, the workflow core), after the certification demo (its `staff`)."""
from __future__ import annotations

import datetime
import io

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts_services
from accounts.demo import DEMO_PASSWORD, credit_code, resident_id
from accounts.models import (
    EducationLevel,
    Gender,
    IdType,
    Institution,
    InstitutionKind,
    User,
    UserKind,
)
from accounts.roles import Role
from core.audit import audit_log
from core.regions import Province

from . import services
from .models import (
    Course,
    CourseCategory,
    EvaluationCriterion,
    EvaluationPurpose,
    MaterialKind,
    TeacherBinding,
)
from .states import BINDING

# (code, name, parent code, order): 管理体系 › QMS 审核员培训 …
CATEGORIES = [("MS", "管理体系", None, 1), ("MS-QMS", "QMS 审核员培训", "MS", 1),
              ("MS-EMS", "EMS 审核员培训", "MS", 2), ("MS-OHSMS", "OHSMS 审核员培训", "MS", 3),
              ("PC", "产品认证", None, 2), ("PC-CCC", "CCC 工厂检查员培训", "PC", 1),
              ("PC-ORG", "有机产品认证检查员培训", "PC", 2)]
CRITERIA = [(MaterialKind.DOCUMENT, "内容与大纲一致、准确无误", 40), (MaterialKind.DOCUMENT, "结构清晰、重点突出", 30),
            (MaterialKind.DOCUMENT, "案例与练习贴近审核实践", 30),
            (MaterialKind.VIDEO, "讲解清晰、语言规范", 40), (MaterialKind.VIDEO, "画面与声音质量", 30),
            (MaterialKind.VIDEO, "课时安排与互动设计", 30)]

FILED = "QMS 内审员培训"
WAITING = "QMS 审核员注册培训（网络课程）"
DUE = "ISO 9001:2015 转版培训"
EXPERIENCE = [{"employer": "山东示例职业学院", "position": "讲师", "started_on": "2012-09-01",
               "description": "讲授质量管理体系审核课程"}]


def _catalogue() -> dict[str, CourseCategory]:
    categories: dict[str, CourseCategory] = {}
    for code, name, parent, order in CATEGORIES:
        categories[code], _created = CourseCategory.objects.get_or_create(
            code=code, defaults={"name": name, "parent": categories.get(parent), "order": order})
    for order, (kind, name, points) in enumerate(CRITERIA):
        EvaluationCriterion.objects.get_or_create(kind=kind, name=name,
                                                  defaults={"max_points": points, "order": order})
    return categories


def _trainer() -> User:
    institution, _created = Institution.objects.get_or_create(
        credit_code=credit_code("91370102MA3E7Y9R4"),
        defaults={"name": "山东示例培训中心有限公司", "kind": InstitutionKind.TRAINING_INSTITUTION,
                  "province": Province.SHANDONG, "address": "济南市历下区经十路 100 号",
                  "contact_phone": "0531-80000000"})
    user, created = User.objects.get_or_create(
        username="trainer", defaults={"name": "培训机构管理员", "kind": UserKind.INSTITUTION, "institution": institution})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    user.groups.add(Group.objects.get(name=Role.INSTITUTION_USER))
    return user


def _teacher(username: str, name: str, *, birth: datetime.date, sequence: int, gender: str, mobile: str,
             category: CourseCategory, staff: User) -> User:
    """An individual with a binding to `category` the association approved (绑定课程类别)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = accounts_services.user_signup(data=accounts_services.SignupData(
            username=username, password_hash=make_password(DEMO_PASSWORD), name=name,
            id_type=IdType.RESIDENT_ID, id_number=resident_id("370102", birth, sequence), gender=gender,
            birth_date=birth, email=f"{username}@example.org", mobile=mobile,
            education={"level": EducationLevel.MASTER, "degree": "master", "school": "山东大学",
                       "major": "管理科学与工程", "graduated_on": datetime.date(birth.year + 25, 7, 1)}))
    if not TeacherBinding.objects.filter(teacher=user, category=category).exists():
        binding = services.binding_submit(teacher=user, category=category, experiences=EXPERIENCE)
        BINDING.perform(binding, "approve", actor=staff)
    return user


def _course(trainer: User, title: str, *, category, teachers, hours: int, online: bool = False) -> Course | None:
    """A submitted filing; None when the institution has it already."""
    if Course.objects.filter(institution_id=trainer.institution_id, title=title).exists():
        return None
    course = services.course_save(actor=trainer, category=category, title=title, hours=hours, online=online,
                                  syllabus="第一天：标准条款解读；第二天：审核策划与实施；第三天：案例研讨与考核。",
                                  teachers=teachers)
    services.course_submit(course=course, actor=trainer)
    return course


def _confirm_all(course: Course) -> None:
    for row in course.teachers.select_related("teacher"):
        services.teacher_answer(course_teacher=row, teacher=row.teacher, confirm=True, opinion="同意授课")


def _handout_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    from registration.documents import font_name

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont(font_name(), 14)
    page.drawString(72, 760, f"{FILED} 讲义（演示）")
    page.drawString(72, 736, "第一章 质量管理体系标准条款解读")
    page.showPage()
    page.save()
    return buffer.getvalue()


def seed() -> list[tuple[str, str, str]]:
    """Create what is missing; return the (role, username, password) rows of the logins to print."""
    with transaction.atomic():
        categories = _catalogue()
        qms = categories["MS-QMS"]
        staff = User.objects.get(username="staff")
        trainer = _trainer()
        teacher1 = _teacher("teacher1", "刘明", birth=datetime.date(1978, 6, 18), sequence=713, gender=Gender.MALE,
                            mobile="13800000021", category=qms, staff=staff)
        teacher2 = _teacher("teacher2", "高静", birth=datetime.date(1983, 10, 5), sequence=824,
                            gender=Gender.FEMALE, mobile="13800000022", category=qms, staff=staff)
        today = timezone.localdate()

        # Filed (both teachers confirmed, staff filed it), a reported plan, a handout waiting for an expert.
        filed = _course(trainer, FILED, category=qms, teachers=[teacher1, teacher2], hours=24)
        if filed is not None:
            _confirm_all(filed)
            filed = services.course_decide(course=filed, actor=staff, action="approve")
            plan = services.plan_save(actor=trainer, course=filed, teachers=[teacher1, teacher2],
                                      starts_on=today + datetime.timedelta(days=30),
                                      ends_on=today + datetime.timedelta(days=32),
                                      place="济南市历下区经十路 100 号 3 楼培训教室", online=False, capacity=40)
            services.plan_report(plan=plan, actor=trainer)
            for row in plan.teachers.select_related("teacher"):
                services.plan_teacher_answer(plan_teacher=row, teacher=row.teacher, confirm=True, reason="时间可以")
            services.material_add(course=filed, actor=trainer,
                                  upload=SimpleUploadedFile(f"{FILED}讲义.pdf", _handout_pdf(),
                                                            content_type="application/pdf"))
            services.evaluation_open(course=filed, purpose=EvaluationPurpose.ONLINE_COURSE,
                                     kind=MaterialKind.DOCUMENT, actor=trainer)

        # Waiting for teacher2: teacher1 confirmed, teacher2 has not answered yet.
        waiting = _course(trainer, WAITING, category=qms, teachers=[teacher1, teacher2], hours=40, online=True)
        if waiting is not None:
            row = waiting.teachers.get(teacher=teacher1)
            services.teacher_answer(course_teacher=row, teacher=teacher1, confirm=True, opinion="同意授课")

        # Filed three years ago (the demo moves the dates back): due for 老课复审.
        due = _course(trainer, DUE, category=qms, teachers=[teacher1], hours=16)
        if due is not None:
            _confirm_all(due)
            services.course_decide(course=due, actor=staff, action="approve")
            filed_on = today - datetime.timedelta(days=3 * 365 + 30)
            rereview_due_on = today - datetime.timedelta(days=30)
            Course.objects.filter(pk=due.pk).update(filed_on=filed_on, rereview_due_on=rereview_due_on)
            audit_log(actor=None, action="course.demo_dates", obj=due,
                      after={"demo": True, "filed_on": str(filed_on), "rereview_due_on": str(rereview_due_on)})

    return [
        ("training institution (机构登录)", "trainer", DEMO_PASSWORD),
        ("teacher (课程备案, 培训计划)", "teacher1", DEMO_PASSWORD),
        ("teacher asked to confirm a course", "teacher2", DEMO_PASSWORD),
    ]

