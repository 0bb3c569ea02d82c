"""Training: the actions of the chains (training.states) and what follows them. Every status change
is a `<WORKFLOW>.perform(…)` in a transaction with its audit entry."""
from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import audit_log
from core.notifications import notify
from core.workflow import assign, assignment_done

from .exceptions import TrainingRefused
from .models import (
    ConfirmationStatus,
    Course,
    CourseMaterial,
    CourseStatus,
    CourseTeacher,
    EvaluationCriterion,
    EvaluationPurpose,
    EvaluationStatus,
    MaterialEvaluation,
    MaterialKind,
    PlanStatus,
    PlanTeacher,
    ReviewStatus,
    TeacherBinding,
    TrainingPlan,
    Unbinding,
)
from .states import (
    BINDING,
    COURSE,
    COURSE_TEACHER,
    EVALUATION_STAGE,
    MATERIAL_EVALUATION,
    PLAN,
    PLAN_TEACHER,
    UNBINDING,
)

T = ConfirmationStatus


def _institution_of(actor):
    if actor.kind != "institution" or not actor.institution_id:
        raise TrainingRefused(_("Only a training institution's users file courses and plans."))
    return actor.institution


# --------------------------------------------------------------------------- H1 teachers and categories


def binding_submit(*, teacher, category, experiences: list[dict]) -> TeacherBinding:
    """绑定课程类别: with at least one qualifying work or teaching experience (a snapshot)."""
    if not experiences:
        raise TrainingRefused(_("Add the work or teaching experience that qualifies you for this category."),
                              field="experiences")
    try:
        with transaction.atomic():
            binding = TeacherBinding.objects.create(teacher=teacher, category=category, experiences=experiences)
            BINDING.perform(binding, "submit", actor=teacher, fields={"submitted_at": timezone.now()})
    except IntegrityError as exc:
        raise TrainingRefused(_("You are already bound, or asking to be bound, to this category."),
                              field="category") from exc
    return binding


def bound_teachers(category):
    """Teachers whose binding to the category (or to one above it) the association approved."""
    categories = [category.pk]
    parent = category.parent
    while parent is not None:
        categories.append(parent.pk)
        parent = parent.parent
    from accounts.models import User

    return User.objects.filter(teacher_bindings__category_id__in=categories,
                               teacher_bindings__status=ReviewStatus.APPROVED).distinct()


# --------------------------------------------------------------------------- H2 course filing


def course_save(*, actor, course: Course | None = None, teachers=(), **fields) -> Course:
    """A draft filing (or a returned one): only teachers bound to the course's category may be named."""
    institution = _institution_of(actor)
    with transaction.atomic():
        if course is None:
            course = Course(institution=institution)
        elif course.institution_id != institution.pk or course.status not in (CourseStatus.DRAFT,
                                                                               CourseStatus.RETURNED):
            raise TrainingRefused(_("This course filing cannot be changed now."))
        for name, value in fields.items():
            setattr(course, name, value)
        course.save()
        allowed = set(bound_teachers(course.category).values_list("pk", flat=True))
        outsiders = [t for t in teachers if t.pk not in allowed]
        if outsiders:
            raise TrainingRefused(_("%(names)s is not bound to the category %(category)s: only its bound teachers "
                                    "can teach the course.") % {"names": "、".join(t.name for t in outsiders),
                                                                "category": course.category}, field="teachers")
        # The teachers named are exactly these: one taken off an edited draft is no longer asked.
        course.teachers.exclude(teacher__in=teachers).delete()
        for teacher in teachers:
            CourseTeacher.objects.get_or_create(course=course, teacher=teacher)
        audit_log(actor=actor, action="course.saved", obj=course,
                  after={**{k: str(v) for k, v in fields.items()}, "teachers": [t.pk for t in teachers]})
    return course


def course_submit(*, course: Course, actor) -> Course:
    """提交备案: every named teacher is asked (again) to confirm."""
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        for row in locked.teachers.filter(active=True).exclude(status=T.PENDING):
            COURSE_TEACHER.perform(row, "ask_again", actor=None)
        COURSE.perform(locked, "submit", actor=actor, fields={"submitted_at": timezone.now()})
    return locked


def teacher_answer(*, course_teacher: CourseTeacher, teacher, confirm: bool, opinion: str = "") -> None:
    """备案课程教师确认: the last confirmation sends the filing to the association; a decline sends it
    back to the institution with the teacher's opinion."""
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=course_teacher.course_id)
        row = CourseTeacher.objects.get(pk=course_teacher.pk)
        COURSE_TEACHER.perform(row, "confirm" if confirm else "decline", actor=teacher, reason=opinion,
                               fields={"opinion": opinion, "decided_at": timezone.now()})
        if course.status != CourseStatus.TEACHER_CONFIRMATION:
            return
        if not confirm:
            COURSE.perform(course, "teacher_declined", actor=None, reason=opinion)
        elif not course.teachers.filter(active=True).exclude(status=T.CONFIRMED).exists():
            COURSE.perform(course, "all_confirmed", actor=None)


def course_decide(*, course: Course, actor, action: str, reason: str = "") -> Course:
    """The association files (a filing number, a re-review date), returns or rejects a course."""
    if action not in ("approve", "return", "reject"):
        raise ValueError(action)
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        fields = {}
        if action == "approve":
            today = timezone.localdate()
            fields = {"filing_number": f"PX{today:%Y}{locked.pk:06d}", "filed_on": today,
                      "rereview_due_on": _years_later(today, settings.TRAINING_REREVIEW_YEARS)}
        COURSE.perform(locked, action, actor=actor, reason=reason, fields=fields)
    return locked


def _years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --------------------------------------------------------------------------- H3 unbinding


def unbinding_request(*, course_teacher: CourseTeacher, teacher, reason: str) -> Unbinding:
    """解除备案: only from a filed course the teacher still teaches."""
    course_teacher = CourseTeacher.objects.select_related("course").get(pk=course_teacher.pk)  # as it is now
    if course_teacher.teacher_id != teacher.pk:
        raise TrainingRefused(_("Only the teacher may ask to leave the course."))
    if course_teacher.course.status != CourseStatus.FILED or not course_teacher.active:
        raise TrainingRefused(_("Only a filed course you teach can be left."))
    if not reason.strip():
        raise TrainingRefused(_("Give the reason."), field="reason")
    try:
        with transaction.atomic():
            unbinding = Unbinding.objects.create(course_teacher=course_teacher, reason=reason)
            audit_log(actor=teacher, action="unbinding.requested", obj=unbinding, after={"reason": reason})
    except IntegrityError as exc:
        raise TrainingRefused(_("You have already asked to leave this course.")) from exc
    return unbinding


def unbinding_decide(*, unbinding: Unbinding, actor, action: str, reason: str = "") -> None:
    with transaction.atomic():
        locked = Unbinding.objects.select_for_update().select_related("course_teacher__course").get(pk=unbinding.pk)
        UNBINDING.perform(locked, action, actor=actor, reason=reason)


def unbinding_followup(unbinding: Unbinding) -> None:
    """Approved: the teacher no longer teaches the course; a course left without teachers is flagged
    to its institution."""
    row = unbinding.course_teacher
    CourseTeacher.objects.filter(pk=row.pk).update(active=False)
    course = row.course
    if not course.teachers.filter(active=True).exists():
        from accounts.models import User

        notify(recipients=User.objects.filter(institution_id=course.institution_id, kind="institution"),
               kind="training.course_without_teacher", obj=course,
               subject=gettext_noop("Course %(title)s has no teacher left"),
               body=gettext_noop("The last teacher of %(title)s (%(number)s) left the course. Name a teacher "
                                 "bound to its category before it is taught again."),
               params={"title": course.title, "number": course.filing_number or ""})


# --------------------------------------------------------------------------- H4 training plans


def plan_save(*, actor, course: Course, teachers, plan: TrainingPlan | None = None, **fields) -> TrainingPlan:
    """培训计划: a filed course of the institution, taught by its teachers; no teacher on two plans
    whose dates overlap."""
    institution = _institution_of(actor)
    if course.institution_id != institution.pk or course.status != CourseStatus.FILED:
        raise TrainingRefused(_("Choose a filed course of your institution."), field="course")
    teaching = set(course.teachers.filter(active=True).values_list("teacher_id", flat=True))
    strangers = [t for t in teachers if t.pk not in teaching]
    if strangers:
        raise TrainingRefused(_("%(names)s does not teach this course.") % {
            "names": "、".join(t.name for t in strangers)}, field="teachers")
    if not teachers:
        raise TrainingRefused(_("Name at least one teacher."), field="teachers")
    starts_on, ends_on = fields["starts_on"], fields["ends_on"]
    with transaction.atomic():
        busy = (PlanTeacher.objects.select_for_update()
                .filter(teacher__in=teachers, plan__starts_on__lte=ends_on, plan__ends_on__gte=starts_on)
                .exclude(plan__status=PlanStatus.CANCELLED).exclude(status=T.DECLINED)
                .select_related("teacher", "plan__course"))
        if plan is not None:
            busy = busy.exclude(plan=plan)
        clash = busy.first()
        if clash is not None:
            raise TrainingRefused(_("%(teacher)s already teaches %(course)s from %(start)s to %(end)s: choose other "
                                    "dates or another teacher.") % {
                "teacher": clash.teacher.name, "course": clash.plan.course.title, "start": clash.plan.starts_on,
                "end": clash.plan.ends_on}, field="teachers")
        if plan is None:
            plan = TrainingPlan(institution=institution, course=course)
        elif plan.institution_id != institution.pk or plan.status not in (PlanStatus.DRAFT, PlanStatus.RETURNED):
            raise TrainingRefused(_("This plan cannot be changed now."))
        for name, value in fields.items():
            setattr(plan, name, value)
        plan.save()
        plan.teachers.exclude(teacher__in=teachers).delete()
        for teacher in teachers:
            PlanTeacher.objects.get_or_create(plan=plan, teacher=teacher)
        audit_log(actor=actor, action="plan.saved", obj=plan,
                  after={**{k: str(v) for k, v in fields.items()}, "teachers": [t.pk for t in teachers]})
    return plan


def plan_report(*, plan: TrainingPlan, actor) -> TrainingPlan:
    with transaction.atomic():
        locked = TrainingPlan.objects.select_for_update().get(pk=plan.pk)
        for row in locked.teachers.exclude(status=T.PENDING):
            PLAN_TEACHER.perform(row, "ask_again", actor=None)
        PLAN.perform(locked, "report", actor=actor)
    return locked


def plan_teacher_answer(*, plan_teacher: PlanTeacher, teacher, confirm: bool, reason: str = "") -> None:
    """培训计划教师确认: with a result and a reason; all confirmed reports the plan, a decline returns it."""
    with transaction.atomic():
        plan = TrainingPlan.objects.select_for_update().get(pk=plan_teacher.plan_id)
        row = PlanTeacher.objects.get(pk=plan_teacher.pk)
        PLAN_TEACHER.perform(row, "confirm" if confirm else "decline", actor=teacher, reason=reason,
                             fields={"reason": reason, "decided_at": timezone.now()})
        if plan.status != PlanStatus.TEACHER_CONFIRMATION:
            return
        if not confirm:
            PLAN.perform(plan, "teacher_declined", actor=None, reason=reason)
        elif not plan.teachers.exclude(status=T.CONFIRMED).exists():
            PLAN.perform(plan, "all_confirmed", actor=None)


# --------------------------------------------------------------------------- H5, H6 material and its evaluation


def material_kind_of(head: bytes) -> str | None:
    """Documents are PDF; videos MP4 (an ISO BMFF `ftyp` box) or WebM (EBML): by content, not name."""
    if head.startswith(b"%PDF-"):
        return MaterialKind.DOCUMENT
    if head[4:8] == b"ftyp" or head.startswith(b"\x1a\x45\xdf\xa3"):
        return MaterialKind.VIDEO
    return None


def material_add(*, course: Course, actor, upload) -> CourseMaterial:
    institution = _institution_of(actor)
    if course.institution_id != institution.pk:
        raise TrainingRefused(_("This course is not your institution's."))
    head = upload.read(16)
    upload.seek(0)
    kind = material_kind_of(head)
    if kind is None:
        raise TrainingRefused(_("Upload a PDF document or an MP4 or WebM video; renaming a file does not change "
                                "its format."), field="file")
    limit = settings.TRAINING_DOCUMENT_MAX_BYTES if kind == MaterialKind.DOCUMENT else settings.TRAINING_VIDEO_MAX_BYTES
    if upload.size > limit:
        raise TrainingRefused(_("The file is too large: at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
                              field="file")
    with transaction.atomic():
        material = CourseMaterial(course=course, kind=kind, name=upload.name[-200:], uploaded_by=actor,
                                  content_type="application/pdf" if kind == MaterialKind.DOCUMENT else "video")
        material.file.save(upload.name, upload, save=False)
        material.save()
        audit_log(actor=actor, action="course.material_added", obj=course, after={"material": material.pk,
                                                                                  "kind": kind})
    return material


def evaluation_open(*, course: Course, purpose: str, kind: str, actor) -> MaterialEvaluation:
    """网络课程评价 asked by the institution (its material is there), or 老课复审 opened by staff for a
    course past its re-review date."""
    if purpose == EvaluationPurpose.ONLINE_COURSE:
        if _institution_of(actor).pk != course.institution_id:
            raise TrainingRefused(_("This course is not your institution's."))
        if not course.materials.filter(kind=kind).exists():
            raise TrainingRefused(_("Upload the course's material first."), field="kind")
    elif not actor.has_perm("training.change_course"):
        raise TrainingRefused(_("Only the association opens a re-review."))
    elif course.status != CourseStatus.FILED:  # its result renews or withdraws a filing: none to renew
        raise TrainingRefused(_("Only a filed course is re-reviewed."))
    try:
        with transaction.atomic():
            evaluation = MaterialEvaluation.objects.create(course=course, purpose=purpose, kind=kind)
            audit_log(actor=actor, action="material_evaluation.opened", obj=evaluation,
                      after={"purpose": purpose, "kind": kind})
    except IntegrityError as exc:
        raise TrainingRefused(_("This course's material already waits for an evaluation of this kind.")) from exc
    return evaluation


def evaluation_assign(*, evaluation: MaterialEvaluation, actor, expert, due_at=None) -> None:
    """Staff give it to an expert; never one of the course's institution (conflict of interest)."""
    from accounts.roles import Role

    if not expert.groups.filter(name=Role.EXPERT).exists():
        raise TrainingRefused(_("%(name)s is not an expert.") % {"name": expert.name}, field="expert")
    from certification.services import current_institution

    practising = current_institution(expert)
    if evaluation.course.institution_id in {expert.institution_id, practising.pk if practising else None}:
        raise TrainingRefused(_("%(expert)s belongs to the course's institution: choose another expert.")
                              % {"expert": expert.name}, field="expert")
    with transaction.atomic():
        locked = MaterialEvaluation.objects.select_for_update().get(pk=evaluation.pk)
        MATERIAL_EVALUATION.perform(locked, "assign", actor=actor, fields={"expert": expert},
                                    audit_extra={"expert": expert.pk})
        assign(locked, assignee=expert, actor=actor, stage=EVALUATION_STAGE, due_at=due_at)
        from django.urls import reverse

        notify(recipients=[expert], kind="training.to_evaluate", obj=locked,
               url=reverse("training_expert:evaluation", args=[locked.pk]),
               subject=gettext_noop("Course material waits for your evaluation"),
               body=gettext_noop("The material of %(title)s was assigned to you: %(purpose)s."),
               params={"title": locked.course.title,
                       "purpose": EvaluationPurpose(locked.purpose).label})


def evaluation_submit(*, evaluation: MaterialEvaluation, expert, scores: dict, opinion: str,
                      passed: bool) -> MaterialEvaluation:
    """The expert scores each criterion (within its points), gives an opinion and a result. A
    re-review's result renews the filing or withdraws it."""
    criteria = {c.pk: c for c in EvaluationCriterion.objects.filter(kind=evaluation.kind)}
    clean = {}
    for pk, criterion in criteria.items():
        raw = scores.get(pk, scores.get(str(pk)))
        try:
            points = int(raw)
        except (TypeError, ValueError):
            raise TrainingRefused(_("Score every criterion."), field="scores") from None
        if not 0 <= points <= criterion.max_points:
            raise TrainingRefused(_("%(criterion)s is scored from 0 to %(max)d.") % {
                "criterion": criterion.name, "max": criterion.max_points}, field="scores")
        clean[str(pk)] = points
    with transaction.atomic():
        locked = MaterialEvaluation.objects.select_for_update().select_related("course").get(pk=evaluation.pk)
        MATERIAL_EVALUATION.perform(locked, "pass" if passed else "fail", actor=expert, reason=opinion,
                                    stage=EVALUATION_STAGE,
                                    fields={"scores": clean, "opinion": opinion, "decided_at": timezone.now()})
        assignment_done(locked, assignee=expert, stage=EVALUATION_STAGE)
        if locked.purpose == EvaluationPurpose.REREVIEW:
            course = Course.objects.select_for_update().get(pk=locked.course_id)
            if passed:
                due = _years_later(timezone.localdate(), settings.TRAINING_REREVIEW_YEARS)
                COURSE.perform(course, "renew", actor=None, fields={"rereview_due_on": due},
                               audit_extra={"rereview_due_on": str(due)})
            else:
                COURSE.perform(course, "withdraw_filing", actor=None, reason=opinion or "re-review not passed")
    return locked


def courses_due_for_rereview(today=None):
    """老课复审: filed courses past their re-review date with no re-review under way."""
    today = today or timezone.localdate()
    open_rereviews = MaterialEvaluation.objects.filter(
        purpose=EvaluationPurpose.REREVIEW, status__in=[EvaluationStatus.WAITING, EvaluationStatus.ASSIGNED])
    return (Course.objects.filter(status=CourseStatus.FILED, rereview_due_on__lte=today)
            .exclude(pk__in=open_rereviews.values("course_id")).order_by("rereview_due_on"))


# --------------------------------------------------------------------------- the simple decisions


def _act(workflow, model, obj, action: str, *, actor, reason: str = ""):
    """One action of a training workflow on the row as it is now, locked, in a transaction."""
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=obj.pk)
        workflow.perform(locked, action, actor=actor, reason=reason)
    return locked


def binding_decide(*, binding: TeacherBinding, actor, action: str, reason: str = "") -> TeacherBinding:
    """Staff approve, return or reject a teacher's binding (绑定课程类别)."""
    if action not in ("approve", "return", "reject"):
        raise ValueError(action)
    return _act(BINDING, TeacherBinding, binding, action, actor=actor, reason=reason)


def binding_withdraw(*, binding: TeacherBinding, actor) -> TeacherBinding:
    return _act(BINDING, TeacherBinding, binding, "withdraw", actor=actor)


def course_withdraw(*, course: Course, actor) -> Course:
    """The institution takes back a draft or returned filing."""
    return _act(COURSE, Course, course, "withdraw", actor=actor)


def course_withdraw_filing(*, course: Course, actor, reason: str) -> Course:
    """Staff withdraw a filed course's filing (撤销备案), with the reason."""
    return _act(COURSE, Course, course, "withdraw_filing", actor=actor, reason=reason)


def unbinding_withdraw(*, unbinding: Unbinding, actor) -> Unbinding:
    """The teacher takes back a request to leave while the institution has not decided."""
    return _act(UNBINDING, Unbinding, unbinding, "withdraw", actor=actor)


def plan_cancel(*, plan: TrainingPlan, actor) -> TrainingPlan:
    return _act(PLAN, TrainingPlan, plan, "cancel", actor=actor)
