"""The workflow core over every declared state machine (issue 13), generated from the declarations:
for each machine, every action × role in every state is either offered by `allowed_actions` and
accepted by `perform`, or refused by both; an accepted action writes exactly one audit entry; a lost
race raises the machine's stale error; the table in docs/architecture.md is the declarations'."""
import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError
from core.models import AuditEntry, Review
from core.workflow import REGISTRY, allowed_actions, table_markdown
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
START, END = "<!-- workflow-table:start -->", "<!-- workflow-table:end -->"


class Rollback(Exception):
    pass


# --------------------------------------------------------------------------- objects in a given state


def _enrollment(status, owner):
    from exams import demo
    from registration.models import Enrollment

    exam = demo.seed()
    Enrollment.objects.filter(candidate=owner).update(status="withdrawn")  # one active enrollment per exam
    enrollment = Enrollment.objects.create(candidate=owner, exam=exam, notice_accepted_at=timezone.now(),
                                           province="37")
    Enrollment.objects.filter(pk=enrollment.pk).update(status=status)
    return Enrollment.objects.select_related("exam").get(pk=enrollment.pk)


def _photo(status, owner):
    from photos.models import Photo

    photo = Photo.objects.create(owner=owner, profile="ccaa", original="photos/original/x.jpg")
    Photo.objects.filter(pk=photo.pk).update(status=status)
    return Photo.objects.get(pk=photo.pk)


def _order(status, owner):
    from payments.models import Order

    enrollment = _enrollment("pending_payment", owner)
    order = Order.objects.create(number=f"T{Order.objects.count() + 1:019d}", enrollment=enrollment, candidate=owner,
                                 exam=enrollment.exam, provider="sandbox", amount=Decimal("160.00"),
                                 expires_at=timezone.now())
    Order.objects.filter(pk=order.pk).update(status=status)
    return Order.objects.get(pk=order.pk)


def _refund(status, owner):
    from payments.models import Payment, Refund

    order = _order("refunding", owner)
    payment = Payment.objects.create(provider="sandbox", trade_no=f"SB{order.pk}", order=order,
                                     amount=order.amount, outcome="credited", source="notify")
    refund = Refund.objects.create(payment=payment, order=order, candidate=owner, exam=order.exam,
                                   amount=order.amount, kind="late_payment")  # any number per person
    Refund.objects.filter(pk=refund.pk).update(status=status)
    return Refund.objects.get(pk=refund.pk)


def _score_review(status, owner):
    from exams.models import Area, Sitting, Subject, Venue
    from registration.models import AdmissionTicket, ScoreReview

    enrollment = _enrollment("enrolled", owner)
    sitting = Sitting.objects.filter(exam=enrollment.exam).first()
    venue = Venue.objects.create(area=Area.objects.first(), name="考点", address="地址")
    ticket = AdmissionTicket.objects.create(
        enrollment=enrollment, sitting=sitting, subject=Subject.objects.filter(exam=enrollment.exam).first(),
        venue=venue, room=1, seat=AdmissionTicket.objects.count() + 1, number=f"{AdmissionTicket.objects.count():015d}")
    review = ScoreReview.objects.create(ticket=ticket, candidate=owner, reason="分数有误")
    ScoreReview.objects.filter(pk=review.pk).update(status=status)
    return ScoreReview.objects.get(pk=review.pk)


def _roster_export(status, owner):
    from exams import demo
    from registration.models import RosterExport

    export = RosterExport.objects.create(requested_by=owner, exam=demo.seed(), format="csv")
    RosterExport.objects.filter(pk=export.pk).update(status=status)
    return RosterExport.objects.get(pk=export.pk)


def _exam(status, owner):
    from exams.models import Exam

    exam = Exam.objects.create(name=f"考试 {Exam.objects.count() + 1}", body="ccaa", notice="须知",
                               registration_opens_at=timezone.now(), registration_closes_at=timezone.now(),
                               exam_starts_on=timezone.localdate(), exam_ends_on=timezone.localdate())
    Exam.objects.filter(pk=exam.pk).update(status=status)
    return Exam.objects.get(pk=exam.pk)


def _seat_release(status, owner):
    from exams import demo
    from exams.models import SeatQuota, SeatRelease

    demo.seed()
    release = SeatRelease.objects.create(quota=SeatQuota.objects.first(), seats=5, release_at=timezone.now())
    SeatRelease.objects.filter(pk=release.pk).update(status=status)
    return SeatRelease.objects.get(pk=release.pk)


def _invoice(status, owner):
    from payments.models import Invoice

    order = _order("paid", owner)
    invoice = Invoice.objects.create(number=f"FP{order.pk:08d}", order=order, kind="personal", title="张三",
                                     amount=order.amount)
    Invoice.objects.filter(pk=invoice.pk).update(status=status)
    return Invoice.objects.get(pk=invoice.pk)


INSTITUTION_CODE = "91370100MA3C5X7R2E"


def _certification_world(owner):
    from accounts.models import Institution
    from certification.models import Field, Level, PracticingRelation, Track

    institution, _created = Institution.objects.get_or_create(
        credit_code=INSTITUTION_CODE, defaults={"name": "示例认证有限公司", "kind": "certification_body",
                                                    "province": "37"})
    if not PracticingRelation.objects.filter(person=owner, ended_on__isnull=True).exists():
        PracticingRelation.objects.create(person=owner, institution=institution, started_on=timezone.localdate())
    field, _created = Field.objects.get_or_create(code="QMS", defaults={"name": "质量管理体系"})
    level, _created = Level.objects.get_or_create(code="auditor", defaults={"name": "审核员", "rank": 2})
    track, _created = Track.objects.get_or_create(field=field, level=level, defaults={"fee": "300.00"})
    return institution, track


def _application(status, owner):
    """An appeal: its chain's guards (kind) are part of what the matrix checks; every status is reached
    by writing it, as for the other machines."""
    from certification.models import Application

    institution, track = _certification_world(owner)
    app = Application.objects.create(applicant=owner, kind="appeal", institution=institution, title="申诉",
                                     content="事实与请求")
    Application.objects.filter(pk=app.pk).update(status=status, number=f"SS{app.pk:06d}")
    return Application.objects.get(pk=app.pk)


def _certificate(status, owner):
    from certification.models import Certificate

    institution, track = _certification_world(owner)
    today = timezone.localdate()
    certificate = Certificate.objects.create(number=f"QMS-{Certificate.objects.count()}", holder=owner, track=track,
                                             institution=institution, issued_on=today,
                                             valid_until=today + datetime.timedelta(days=900))
    Certificate.objects.filter(pk=certificate.pk).update(status=status)
    return Certificate.objects.get(pk=certificate.pk)


def _payment_voucher(status, owner):
    from django.core.files.base import ContentFile

    from certification.models import PaymentVoucher

    app = _application("payment", owner)
    voucher = PaymentVoucher(application=app, amount="300.00", uploaded_by=owner)
    voucher.file.save("voucher.pdf", ContentFile(b"%PDF-1.4"), save=False)
    voucher.save()
    PaymentVoucher.objects.filter(pk=voucher.pk).update(status=status)
    return PaymentVoucher.objects.get(pk=voucher.pk)


def _training_world(owner):
    from training.models import CourseCategory

    institution, _track = _certification_world(owner)
    category, _created = CourseCategory.objects.get_or_create(code="QMS-T", defaults={"name": "QMS 审核员培训"})
    return institution, category


def _teacher_binding(status, owner):
    from training.models import TeacherBinding

    from training.models import CourseCategory

    category = CourseCategory.objects.create(code=f"B{CourseCategory.objects.count()}", name="类别")  # one per state
    binding = TeacherBinding.objects.create(teacher=owner, category=category, experiences=[{"employer": "甲"}])
    TeacherBinding.objects.filter(pk=binding.pk).update(status=status)
    return TeacherBinding.objects.get(pk=binding.pk)


def _course(status, owner):
    from training.models import Course, CourseTeacher

    institution, category = _training_world(owner)
    course = Course.objects.create(institution=institution, category=category, title="QMS 内审员", hours=16,
                                   syllabus="大纲")
    CourseTeacher.objects.create(course=course, teacher=owner)
    Course.objects.filter(pk=course.pk).update(status=status)
    return Course.objects.get(pk=course.pk)


def _course_teacher(status, owner):
    from training.models import CourseTeacher

    row = _course("teacher_confirmation", owner).teachers.get()
    CourseTeacher.objects.filter(pk=row.pk).update(status=status)
    return CourseTeacher.objects.get(pk=row.pk)


def _unbinding(status, owner):
    from training.models import Unbinding

    row = _course("filed", owner).teachers.get()
    unbinding = Unbinding.objects.create(course_teacher=row, reason="工作调整")
    Unbinding.objects.filter(pk=unbinding.pk).update(status=status)
    return Unbinding.objects.get(pk=unbinding.pk)


def _training_plan(status, owner):
    from training.models import PlanTeacher, TrainingPlan

    course = _course("filed", owner)
    plan = TrainingPlan.objects.create(institution=course.institution, course=course, capacity=30, place="济南",
                                       starts_on=timezone.localdate(), ends_on=timezone.localdate())
    PlanTeacher.objects.create(plan=plan, teacher=owner)
    TrainingPlan.objects.filter(pk=plan.pk).update(status=status)
    return TrainingPlan.objects.get(pk=plan.pk)


def _plan_teacher(status, owner):
    from training.models import PlanTeacher

    row = _training_plan("teacher_confirmation", owner).teachers.get()
    PlanTeacher.objects.filter(pk=row.pk).update(status=status)
    return PlanTeacher.objects.get(pk=row.pk)


def _material_evaluation(status, owner):
    from training.models import MaterialEvaluation

    evaluation = MaterialEvaluation.objects.create(course=_course("filed", owner), purpose="online_course",
                                                   kind="document")
    MaterialEvaluation.objects.filter(pk=evaluation.pk).update(status=status)
    return MaterialEvaluation.objects.get(pk=evaluation.pk)


# One maker per declared machine: (status, owner) -> a saved object in that state owned by `owner`.
MAKERS = {
    "enrollment": _enrollment,
    "photo": _photo,
    "order": _order,
    "refund": _refund,
    "score_review": _score_review,
    "roster_export": _roster_export,
    "exam": _exam,
    "seat_release": _seat_release,
    "invoice": _invoice,
    "application": _application,
    "certificate": _certificate,
    "payment_voucher": _payment_voucher,
    "teacher_binding": _teacher_binding,
    "course": _course,
    "course_teacher": _course_teacher,
    "unbinding": _unbinding,
    "training_plan": _training_plan,
    "plan_teacher": _plan_teacher,
    "material_evaluation": _material_evaluation,
}


# --------------------------------------------------------------------------- the people who might act


@dataclass
class Cast:
    owner: object
    people: dict  # role name -> user (None: the system)


def _staff(username, group, *, province=""):
    user = UserFactory(username=username, is_staff=True, province=province)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def cast(db):
    from accounts.models import Institution

    owner = UserFactory(username="owner")
    institution = Institution.objects.create(credit_code=INSTITUTION_CODE, name="示例认证有限公司",
                                             kind="certification_body", province="37")
    officer = UserFactory(username="officer", kind="institution", institution=institution)
    officer.groups.add(Group.objects.get(name="institution_user"))
    expert = UserFactory(username="expert")
    expert.groups.add(Group.objects.get(name="expert"))
    return Cast(owner=owner, people={
        "institution user of the owner's institution": officer,
        "expert (not assigned)": expert,
        "system": None,
        "the owner": owner,
        "another candidate": UserFactory(username="other"),
        "association staff": _staff("assoc", "association_staff"),
        "exam administrator": _staff("examadmin", "exam_administrator"),
        "provincial authority, same province": _staff("sd", "provincial_authority", province="37"),
        "provincial authority, other province": _staff("bj", "provincial_authority", province="11"),
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    })


def test_every_declared_machine_has_a_maker():
    assert sorted(MAKERS) == sorted(REGISTRY), "add a maker for each workflow so the matrix covers it"


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_allowed_actions_and_perform_agree_for_every_action_role_and_state(name, cast):
    workflow = REGISTRY[name]
    checked = 0
    for status in workflow.states.values:
        obj = MAKERS[name](status, cast.owner)
        for role, user in cast.people.items():
            offered = {a.name for a in allowed_actions(obj, user)}
            for action in workflow.actions:
                fresh = type(obj)._default_manager.get(pk=obj.pk)
                before = AuditEntry.objects.count()
                attachment = SimpleUploadedFile("proof.pdf", b"%PDF-1.4") if action.attachment_required else None
                try:
                    with transaction.atomic():
                        workflow.perform(fresh, action.name, actor=user, reason="材料不全", attachment=attachment)
                        accepted = True
                        assert AuditEntry.objects.count() == before + 1, f"{name}.{action.name}: one audit entry"
                        assert getattr(fresh, workflow.field) == action.target
                        if action.review:
                            assert Review.objects.filter(object_id=str(obj.pk), verdict=action.name).exists()
                        raise Rollback
                except Rollback:
                    pass
                except DomainError:
                    accepted = False
                assert accepted == (action.name in offered), (
                    f"{name}: {action.name} from {status} by {role}: offered={action.name in offered}, "
                    f"accepted={accepted}")
                checked += 1
    assert checked == len(workflow.states.values) * len(cast.people) * len(workflow.actions)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_a_lost_race_raises_the_stale_error(name, cast):
    workflow = REGISTRY[name]
    for status in workflow.states.values:
        obj = MAKERS[name](status, cast.owner)
        for user in cast.people.values():
            # A self-transition (a renewal, a change of city) leaves the state as it was: no race on it.
            actions = [action for action in allowed_actions(obj, user) if action.target not in action.source]
            if actions:
                first, second = (type(obj)._default_manager.get(pk=obj.pk) for _ in range(2))
                workflow.perform(first, actions[0].name, actor=user, reason="材料不全")
                with pytest.raises(workflow.stale):
                    workflow.perform(second, actions[0].name, actor=user, reason="材料不全")
                return
    pytest.fail(f"{name}: no action anyone may take in any state")


def test_a_reason_is_required_where_declared(cast):
    from registration.models import EnrollmentStatus
    from registration.states import ENROLLMENT, TransitionRefused

    enrollment = MAKERS["enrollment"](EnrollmentStatus.IN_REVIEW, cast.owner)
    reviewer = cast.people["association staff"]
    assert "reject_review" in {a.name for a in ENROLLMENT.allowed_actions(enrollment, reviewer)}
    with pytest.raises(TransitionRefused):
        ENROLLMENT.perform(enrollment, "reject_review", actor=reviewer, reason="  ")
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.IN_REVIEW


def test_a_provincial_authority_reviews_its_own_province_only(cast):
    from registration.models import EnrollmentStatus

    enrollment = MAKERS["enrollment"](EnrollmentStatus.IN_REVIEW, cast.owner)
    names = lambda role: {a.name for a in allowed_actions(enrollment, cast.people[role])}
    assert {"approve_review", "reject_review"} <= names("provincial authority, same province")
    assert not {"approve_review", "reject_review"} & names("provincial authority, other province")
    assert not {"approve_review", "reject_review"} & names("another candidate")


def test_staff_who_may_not_decide_photos_are_refused_by_the_service_itself(cast):
    """Before the core only the admin action's permission stopped them; now the service does."""
    from photos import services
    from photos.exceptions import PhotoRefused
    from photos.models import PhotoStatus

    photo = MAKERS["photo"](PhotoStatus.MANUAL_REVIEW, cast.owner)
    with pytest.raises(PhotoRefused):
        services.photo_decide(photo=photo, actor=UserFactory(is_staff=True), approve=False, reason="模糊")
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.MANUAL_REVIEW


def test_a_caller_that_catches_a_lost_race_can_go_on_in_its_transaction(cast):
    """The stale error leaves the caller's transaction usable (a beat job skips the row and goes on)."""
    from photos.models import Photo, PhotoStatus
    from photos.states import PHOTO

    photo = MAKERS["photo"](PhotoStatus.PENDING, cast.owner)
    stale = Photo.objects.get(pk=photo.pk)
    PHOTO.perform(photo, "refer_to_staff", actor=None)
    with transaction.atomic():
        with pytest.raises(PHOTO.stale):
            PHOTO.perform(stale, "pass_check", actor=None)
        assert Photo.objects.filter(pk=photo.pk, status=PhotoStatus.MANUAL_REVIEW).exists()  # still usable
        AuditEntry.objects.create(action="test.after_stale")
    assert AuditEntry.objects.filter(action="test.after_stale").exists()


def test_the_docs_table_is_the_declarations():
    text = DOCS.read_text(encoding="utf-8")
    assert START in text and END in text, "docs/architecture.md needs the generated workflow table"
    shown = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert shown == table_markdown().strip(), "run: python manage.py workflow_table --write"


def test_an_assignment_makes_its_holder_a_party_until_done(cast):
    """The review chains give an object to an expert: `assigned(stage)` is who may act on it."""
    from core.workflow import assign, assigned, assignment_done
    from photos.models import PhotoStatus

    photo = MAKERS["photo"](PhotoStatus.MANUAL_REVIEW, cast.owner)
    expert, boss = UserFactory(username="evaluator"), cast.people["superuser"]
    party = assigned("evaluation", "the assigned expert")
    assert not party.allows(photo, expert)
    assign(photo, assignee=expert, actor=boss, stage="evaluation")
    assign(photo, assignee=expert, actor=boss, stage="evaluation")  # twice: still one
    assert party.allows(photo, expert) and not party.allows(photo, cast.people["another candidate"])
    assert AuditEntry.objects.filter(action="assignment.created", object_id=str(photo.pk)).count() == 1
    assignment_done(photo, assignee=expert, stage="evaluation")
    assert not party.allows(photo, expert)
