"""The training chains (SPEC H1–H6, seed 002 §5), declared for the workflow core.

- 绑定课程类别: the teacher submits, association staff approve, return or reject.
- 课程备案: the institution submits → every named teacher confirms or declines (each a small
  machine of its own) → when all have confirmed the system sends the filing to the association →
  approved (a filing number), returned or rejected; a decline sends it back to the institution.
- 解除备案: the teacher asks → the institution reviews → staff decide.
- 培训计划: the institution reports → every named teacher confirms → reported (a decline returns it).
- 网络课程评价 / 老课复审: staff assign an expert → the expert passes or fails it; a failed re-review
  withdraws the filing, a passed one renews it.
`training.services` carries the actions out and does what follows them."""
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.workflow import SYSTEM, Action, HasPerm, Notice, Relation, StaleState, Workflow, assigned

from .exceptions import TrainingRefused
from .models import (
    ConfirmationStatus,
    Course,
    CourseStatus,
    CourseTeacher,
    EvaluationStatus,
    MaterialEvaluation,
    PlanStatus,
    PlanTeacher,
    ReviewStatus,
    TeacherBinding,
    TrainingPlan,
    Unbinding,
)

R = ReviewStatus
C = CourseStatus
P = PlanStatus
T = ConfirmationStatus
E = EvaluationStatus
STAFF = HasPerm("training.change_course")
BINDING_STAFF = HasPerm("training.change_teacherbinding")
EVALUATION_STAGE = "material_evaluation"


def _of_institution(institution_id, user) -> bool:
    return bool(institution_id) and user.kind == "institution" and user.institution_id == institution_id


TEACHER = Relation("the teacher", lambda obj, user: obj.teacher_id == user.pk)
COURSE_INSTITUTION = Relation("a user of the course's institution",
                              lambda course, user: _of_institution(course.institution_id, user))
PLAN_INSTITUTION = Relation("a user of the plan's institution",
                            lambda plan, user: _of_institution(plan.institution_id, user))
UNBINDING_TEACHER = Relation("the teacher leaving", lambda u, user: u.course_teacher.teacher_id == user.pk)
UNBINDING_INSTITUTION = Relation("a user of the course's institution",
                                 lambda u, user: _of_institution(u.course_teacher.course.institution_id, user))


def _unbinding_stage_reviewer(unbinding, user) -> bool:
    """The institution at its stage, association staff at theirs: neither overrules the other."""
    if unbinding.status == R.INSTITUTION_REVIEW:
        return _of_institution(unbinding.course_teacher.course.institution_id, user)
    return user.has_perm("training.change_course")


UNBINDING_REVIEWER = Relation("the reviewer of the current stage (institution, then association staff)",
                              _unbinding_stage_reviewer)
EXPERT = assigned(EVALUATION_STAGE, "the assigned expert")


def _teachers_named(course) -> str | None:
    if not course.teachers.filter(active=True).exists():
        return _("Name at least one teacher of this course.")
    return None


def _told_teacher_left(unbinding) -> None:
    from . import services

    services.unbinding_followup(unbinding)


def _teacher_course_url(course) -> str:
    return reverse("training:teacher-course-detail", args=[course.pk])


def _institution_course_url(course) -> str:
    return reverse("training:course-detail", args=[course.pk])


def _course_params(course) -> dict:
    return {"title": course.title, "number": course.filing_number or ""}


def _institution_users(course):
    from accounts.models import User

    return User.objects.filter(institution_id=course.institution_id, kind="institution", is_active=True)


TOLD_INSTITUTION_FILED = Notice(
    recipients=_institution_users, kind="training.course_filed", params=_course_params, url=_institution_course_url,
    subject=gettext_noop("Course %(title)s filed"),
    body=gettext_noop("The association filed your course %(title)s under number %(number)s."))
TOLD_INSTITUTION_RETURNED = Notice(
    recipients=_institution_users, kind="training.course_returned", params=_course_params, url=_institution_course_url,
    subject=gettext_noop("Course %(title)s returned"),
    body=gettext_noop("Your course filing %(title)s was returned: see the reasons on the filing, correct it and "
                      "submit it again."))
TOLD_TEACHERS = Notice(
    recipients=lambda course: [ct.teacher for ct in course.teachers.filter(active=True, status=T.PENDING)],
    kind="training.confirm_course", params=_course_params, url=_teacher_course_url,
    subject=gettext_noop("Please confirm the course %(title)s"),
    body=gettext_noop("An institution named you as a teacher of the course %(title)s: confirm or decline it "
                      "with your opinion."))

BINDING = Workflow(
    name="teacher_binding", model=TeacherBinding, states=ReviewStatus, refused=TrainingRefused, stale=StaleState,
    stale_message=gettext_lazy("This was changed meanwhile. Reload the page."),
    actions=[
        Action("submit", gettext_lazy("Submit"), (R.DRAFT, R.RETURNED), R.SUBMITTED, TEACHER),
        Action("approve", gettext_lazy("Approve"), (R.SUBMITTED,), R.APPROVED, BINDING_STAFF, review=True),
        Action("return", gettext_lazy("Return for rectification"), (R.SUBMITTED,), R.RETURNED, BINDING_STAFF,
               reason_required=True, review=True),
        Action("reject", gettext_lazy("Reject"), (R.SUBMITTED,), R.REJECTED, BINDING_STAFF, reason_required=True,
               review=True),
        Action("withdraw", gettext_lazy("Withdraw"), (R.DRAFT, R.SUBMITTED, R.RETURNED), R.WITHDRAWN, TEACHER),
    ],
)

COURSE = Workflow(
    name="course", model=Course, states=CourseStatus, refused=TrainingRefused, stale=StaleState,
    stale_message=gettext_lazy("This course was changed meanwhile. Reload the page."),
    actions=[
        Action("submit", gettext_lazy("Submit for filing"), (C.DRAFT, C.RETURNED), C.TEACHER_CONFIRMATION,
               COURSE_INSTITUTION, guard=_teachers_named, notify=(TOLD_TEACHERS,)),
        # When the last teacher confirms (training.services), or back when one declines.
        Action("all_confirmed", gettext_lazy("All teachers confirmed"), (C.TEACHER_CONFIRMATION,),
               C.ASSOCIATION_REVIEW, SYSTEM),
        Action("teacher_declined", gettext_lazy("A teacher declined"), (C.TEACHER_CONFIRMATION,), C.RETURNED, SYSTEM,
               notify=(TOLD_INSTITUTION_RETURNED,)),
        Action("approve", gettext_lazy("File the course"), (C.ASSOCIATION_REVIEW,), C.FILED, STAFF, review=True,
               notify=(TOLD_INSTITUTION_FILED,)),
        Action("return", gettext_lazy("Return for rectification"), (C.ASSOCIATION_REVIEW,), C.RETURNED, STAFF,
               reason_required=True, review=True, notify=(TOLD_INSTITUTION_RETURNED,)),
        Action("reject", gettext_lazy("Reject"), (C.ASSOCIATION_REVIEW,), C.REJECTED, STAFF, reason_required=True,
               review=True),
        Action("withdraw", gettext_lazy("Withdraw"), (C.DRAFT, C.RETURNED), C.WITHDRAWN, COURSE_INSTITUTION),
        # 老课复审: a passed re-review renews the filing, a failed one (or staff) withdraws it.
        Action("renew", gettext_lazy("Filing renewed (re-review passed)"), (C.FILED,), C.FILED, SYSTEM,
               audit_action="course.renewed"),
        Action("withdraw_filing", gettext_lazy("Withdraw the filing"), (C.FILED,), C.WITHDRAWN, SYSTEM | STAFF,
               reason_required=True, review=True),
    ],
)

COURSE_TEACHER = Workflow(
    name="course_teacher", model=CourseTeacher, states=ConfirmationStatus, refused=TrainingRefused,
    stale=StaleState, stale_message=gettext_lazy("This was changed meanwhile. Reload the page."),
    actions=[
        Action("confirm", gettext_lazy("Confirm"), (T.PENDING,), T.CONFIRMED, TEACHER),
        Action("decline", gettext_lazy("Decline"), (T.PENDING,), T.DECLINED, TEACHER, reason_required=True),
        Action("ask_again", gettext_lazy("Asked again (filing resubmitted)"), (T.CONFIRMED, T.DECLINED), T.PENDING,
               SYSTEM),
    ],
)

UNBINDING = Workflow(
    name="unbinding", model=Unbinding, states=ReviewStatus, refused=TrainingRefused, stale=StaleState,
    stale_message=gettext_lazy("This was changed meanwhile. Reload the page."),
    actions=[
        Action("institution_approve", gettext_lazy("Agree (institution)"), (R.INSTITUTION_REVIEW,),
               R.ASSOCIATION_REVIEW, UNBINDING_INSTITUTION, review=True),
        Action("approve", gettext_lazy("Approve"), (R.ASSOCIATION_REVIEW,), R.APPROVED, STAFF, review=True,
               notify=(_told_teacher_left,)),
        Action("reject", gettext_lazy("Reject"), (R.INSTITUTION_REVIEW, R.ASSOCIATION_REVIEW), R.REJECTED,
               UNBINDING_REVIEWER, reason_required=True, review=True),
        Action("withdraw", gettext_lazy("Withdraw"), (R.INSTITUTION_REVIEW,), R.WITHDRAWN, UNBINDING_TEACHER),
    ],
)

PLAN = Workflow(
    name="training_plan", model=TrainingPlan, states=PlanStatus, refused=TrainingRefused, stale=StaleState,
    stale_message=gettext_lazy("This plan was changed meanwhile. Reload the page."),
    actions=[
        Action("report", gettext_lazy("Report the plan"), (P.DRAFT, P.RETURNED), P.TEACHER_CONFIRMATION,
               PLAN_INSTITUTION),
        Action("all_confirmed", gettext_lazy("All teachers confirmed"), (P.TEACHER_CONFIRMATION,), P.REPORTED, SYSTEM),
        Action("teacher_declined", gettext_lazy("A teacher declined"), (P.TEACHER_CONFIRMATION,), P.RETURNED, SYSTEM),
        Action("cancel", gettext_lazy("Cancel the plan"), (P.DRAFT, P.RETURNED, P.TEACHER_CONFIRMATION, P.REPORTED),
               P.CANCELLED, PLAN_INSTITUTION),
    ],
)

PLAN_TEACHER = Workflow(
    name="plan_teacher", model=PlanTeacher, states=ConfirmationStatus, refused=TrainingRefused, stale=StaleState,
    stale_message=gettext_lazy("This was changed meanwhile. Reload the page."),
    actions=[
        Action("confirm", gettext_lazy("Confirm"), (T.PENDING,), T.CONFIRMED, TEACHER),
        Action("decline", gettext_lazy("Decline"), (T.PENDING,), T.DECLINED, TEACHER, reason_required=True),
        Action("ask_again", gettext_lazy("Asked again (plan reported again)"), (T.CONFIRMED, T.DECLINED), T.PENDING,
               SYSTEM),
    ],
)

MATERIAL_EVALUATION = Workflow(
    name="material_evaluation", model=MaterialEvaluation, states=EvaluationStatus, refused=TrainingRefused,
    stale=StaleState, stale_message=gettext_lazy("This evaluation was changed meanwhile. Reload the page."),
    actions=[
        Action("assign", gettext_lazy("Assign to an expert"), (E.WAITING,), E.ASSIGNED, STAFF),
        Action("pass", gettext_lazy("Passed"), (E.ASSIGNED,), E.PASSED, EXPERT, review=True),
        Action("fail", gettext_lazy("Not passed"), (E.ASSIGNED,), E.FAILED, EXPERT, reason_required=True,
               review=True),
    ],
)
