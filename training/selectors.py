"""Reads for the training pages of teachers and training institutions: their lists (search, filters)
and the object of a page, or 404 for anyone it does not concern."""
from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import (
    Course,
    CourseCategory,
    CourseStatus,
    CourseTeacher,
    MaterialEvaluation,
    PlanStatus,
    PlanTeacher,
    ReviewStatus,
    TeacherBinding,
    TrainingPlan,
    Unbinding,
)

OPEN_UNBINDING = (ReviewStatus.INSTITUTION_REVIEW, ReviewStatus.ASSOCIATION_REVIEW)


def is_institution_user(user) -> bool:
    return user.is_authenticated and user.kind == "institution" and bool(user.institution_id)


def require_institution(user) -> None:
    if not is_institution_user(user):
        raise Http404("training institutions' users only")


def require_individual(user) -> None:
    if user.kind == "institution":
        raise Http404("teachers are individual users")


# --------------------------------------------------------------------------- teachers


def categories():
    return CourseCategory.objects.select_related("parent")


def bindings_of(user):
    return TeacherBinding.objects.filter(teacher=user).select_related("category__parent").order_by("-created_at")


def binding_for(user, pk: int) -> TeacherBinding:
    return get_object_or_404(TeacherBinding, pk=pk, teacher=user)


def teacher_courses(user, *, q: str = "", status: str = ""):
    """课程备案管理: the filings the user is named on (still or once), newest first."""
    rows = (CourseTeacher.objects.filter(teacher=user)
            .select_related("course__institution", "course__category__parent").order_by("-course__created_at"))
    if q:
        rows = rows.filter(Q(course__title__icontains=q) | Q(course__filing_number__icontains=q)
                           | Q(course__institution__name__icontains=q))
    if status:
        rows = rows.filter(status=status)
    return rows


def teacher_course_for(user, course_pk: int) -> CourseTeacher:
    """The user's row on the course; 404 for a course they are not named on."""
    return get_object_or_404(CourseTeacher.objects.select_related("course__institution", "course__category__parent"),
                             course_id=course_pk, teacher=user)


def unbindings_of(row: CourseTeacher):
    return list(row.unbindings.order_by("-created_at"))


def may_ask_to_leave(row: CourseTeacher) -> bool:
    """解除备案 is offered on a filed course the teacher still teaches, with no request under way
    (the conditions unbinding_request checks)."""
    return (row.active and row.course.status == CourseStatus.FILED
            and not row.unbindings.filter(status__in=OPEN_UNBINDING).exists())


def teacher_plans(user, *, q: str = "", status: str = ""):
    """培训计划管理: the plans the user is named on (drafts the institution still edits are not shown)."""
    rows = (PlanTeacher.objects.filter(teacher=user).exclude(plan__status=PlanStatus.DRAFT)
            .select_related("plan__course", "plan__institution").order_by("-plan__starts_on"))
    if q:
        rows = rows.filter(Q(plan__course__title__icontains=q) | Q(plan__institution__name__icontains=q)
                           | Q(plan__place__icontains=q))
    if status:
        rows = rows.filter(status=status)
    return rows


def teacher_plan_for(user, plan_pk: int) -> PlanTeacher:
    return get_object_or_404(PlanTeacher.objects.select_related("plan__course", "plan__institution")
                             .exclude(plan__status=PlanStatus.DRAFT), plan_id=plan_pk, teacher=user)


# --------------------------------------------------------------------------- institutions


def institution_courses(user, *, q: str = "", status: str = ""):
    rows = (Course.objects.filter(institution_id=user.institution_id).select_related("category__parent")
            .annotate(teacher_count=Count("teachers", filter=Q(teachers__active=True))).order_by("-created_at"))
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(filing_number__icontains=q))
    if status:
        rows = rows.filter(status=status)
    return rows


def institution_course_for(user, pk: int) -> Course:
    """A course of the user's institution; 404 for another institution's course or a teacher."""
    require_institution(user)
    return get_object_or_404(Course.objects.select_related("category__parent", "institution"), pk=pk,
                             institution_id=user.institution_id)


def course_teachers(course: Course):
    return list(course.teachers.select_related("teacher").order_by("pk"))


def course_materials(course: Course):
    return list(course.materials.select_related("uploaded_by"))


def course_evaluations(course: Course, *, purpose: str = ""):
    rows = MaterialEvaluation.objects.filter(course=course).order_by("-created_at")
    return rows.filter(purpose=purpose) if purpose else rows


def filed_courses(user):
    return Course.objects.filter(institution_id=user.institution_id, status=CourseStatus.FILED).order_by("title")


def institution_teachers(user):
    """Who may be named on the institution's plans: the active teachers of its filed courses."""
    from accounts.models import User

    return (User.objects.filter(course_teaching__course__institution_id=user.institution_id,
                                course_teaching__course__status=CourseStatus.FILED,
                                course_teaching__active=True).distinct().order_by("name"))


def institution_plans(user, *, q: str = "", status: str = ""):
    rows = (TrainingPlan.objects.filter(institution_id=user.institution_id).select_related("course")
            .prefetch_related(Prefetch("teachers", queryset=PlanTeacher.objects.select_related("teacher")))
            .order_by("-starts_on"))
    if q:
        rows = rows.filter(Q(course__title__icontains=q) | Q(place__icontains=q))
    if status:
        rows = rows.filter(status=status)
    return rows


def institution_plan_for(user, pk: int) -> TrainingPlan:
    require_institution(user)
    return get_object_or_404(TrainingPlan.objects.select_related("course", "institution"), pk=pk,
                             institution_id=user.institution_id)


def plan_teachers(plan: TrainingPlan):
    return list(plan.teachers.select_related("teacher").order_by("pk"))


def institution_unbindings(user, *, q: str = "", status: str = ""):
    rows = (Unbinding.objects.filter(course_teacher__course__institution_id=user.institution_id)
            .select_related("course_teacher__teacher", "course_teacher__course").order_by("-created_at"))
    if q:
        rows = rows.filter(Q(course_teacher__teacher__name__icontains=q) | Q(course_teacher__course__title__icontains=q)
                           | Q(course_teacher__course__filing_number__icontains=q))
    if status:
        rows = rows.filter(status=status)
    return rows


def institution_unbinding_for(user, pk: int) -> Unbinding:
    require_institution(user)
    return get_object_or_404(Unbinding.objects.select_related("course_teacher__teacher", "course_teacher__course"),
                             pk=pk, course_teacher__course__institution_id=user.institution_id)
