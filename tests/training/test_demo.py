"""The training demo (issue 16): seed_demo twice gives the same data; each demo login finds what the
README promises; the old course is due for re-review."""
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from core.models import AuditEntry, Notification
from core.workflow import allowed_actions
from training import demo, services
from training.models import (
    Course,
    CourseCategory,
    CourseMaterial,
    EvaluationCriterion,
    MaterialEvaluation,
    TeacherBinding,
    TrainingPlan,
)

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in (
        User, CourseCategory, EvaluationCriterion, TeacherBinding, Course, TrainingPlan, CourseMaterial,
        MaterialEvaluation, Notification, AuditEntry)}


def client_of(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_seed_demo_twice_gives_the_same_training_data_and_prints_the_new_logins():
    printed = seed()
    first = counts()
    seed()
    assert counts() == first
    for username in ("trainer", "teacher1", "teacher2"):
        assert f" {username} " in printed
        assert User.objects.get(username=username).check_password("Demo#2026pass")
    trainer = User.objects.get(username="trainer")
    assert trainer.kind == "institution" and trainer.institution.kind == "training_institution"
    assert CourseCategory.objects.get(code="MS-QMS").parent.name == "管理体系"
    assert {"document", "video"} <= set(EvaluationCriterion.objects.values_list("kind", flat=True))


def test_each_demo_login_finds_its_part_of_training():
    seed()
    filed = Course.objects.get(title=demo.FILED)
    waiting = Course.objects.get(title=demo.WAITING)
    due = Course.objects.get(title=demo.DUE)
    assert filed.status == "filed" and filed.filing_number
    assert set(filed.teachers.values_list("status", flat=True)) == {"confirmed"}
    assert waiting.status == "teacher_confirmation"
    assert waiting.teachers.get(teacher__username="teacher2").status == "pending"
    assert waiting.teachers.get(teacher__username="teacher1").status == "confirmed"
    for username in ("teacher1", "teacher2"):
        assert TeacherBinding.objects.get(teacher__username=username, category__code="MS-QMS").status == "approved"

    page = client_of("teacher1").get(reverse("training:teacher-course-list")).content.decode()
    assert demo.FILED in page and demo.WAITING in page and demo.DUE in page
    row = waiting.teachers.get(teacher__username="teacher2")
    answer = client_of("teacher2").get(reverse("training:teacher-course-detail", args=[waiting.pk]))
    assert answer.status_code == 200 and {a.name for a in allowed_actions(row, row.teacher)} == {"confirm", "decline"}

    trainer = client_of("trainer")
    page = trainer.get(reverse("training:course-list")).content.decode()
    assert demo.FILED in page and demo.WAITING in page and demo.DUE in page
    plan = TrainingPlan.objects.get(course=filed)
    assert plan.status == "reported" and set(plan.teachers.values_list("status", flat=True)) == {"confirmed"}
    assert demo.FILED in trainer.get(reverse("training:plan-list")).content.decode()

    material = filed.materials.get()
    assert material.kind == "document" and material.file.read(5) == b"%PDF-"
    evaluation = MaterialEvaluation.objects.get(course=filed)
    assert evaluation.purpose == "online_course" and evaluation.status == "waiting"
    assert "assign" in {a.name for a in allowed_actions(evaluation, User.objects.get(username="staff"))}
    # The demo expert belongs to another institution: staff may give it to them.
    services.evaluation_assign(evaluation=evaluation, actor=User.objects.get(username="staff"),
                               expert=User.objects.get(username="expert"))

    assert list(services.courses_due_for_rereview()) == [due]
    admin = client_of("staff").get(reverse("admin:training_course_changelist") + "?rereview=due")
    assert admin.status_code == 200 and demo.DUE in admin.content.decode()
