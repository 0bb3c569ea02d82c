"""培训课程管理 pages (seed 002 §5) of teachers (any individual user: 课程管理 / 绑定课程类别, 课程备案管理,
培训计划管理) and of training institutions' users (their course filings, material and 网络课程评价,
解除备案 requests, 培训计划).

Each view: a selector that returns the object or 404 for this user, one service call (or the
workflow's own `perform` for a plain withdraw or cancel), a message, a redirect. What may happen
now comes from `allowed_actions` / `can` (training.states via core.workflow)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.workflow import allowed_actions, can

from . import forms, selectors, services
from .models import (
    ConfirmationStatus,
    CourseStatus,
    EvaluationPurpose,
    PlanStatus,
    ReviewStatus,
)
from .states import COURSE

PAGE_SIZE = 20
ANSWERS = ("confirm", "decline")  # what a teacher answers on a course or a plan
INSTITUTION_UNBINDING_ACTIONS = ("institution_approve", "reject")


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _choice(request, name: str, choices) -> str:
    value = request.GET.get(name, "")
    return value if value in dict(choices) else ""


def _add_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _list_context(request, rows, statuses, **extra) -> dict:
    return {"page": _page(request, rows), "q": request.GET.get("q", "").strip(), "statuses": statuses,
            "status": _choice(request, "status", statuses), "query": _query_without_page(request), **extra}


# =========================================================================== teachers


@login_required
def binding_list(request):
    """课程管理: the teacher's course categories (绑定课程类别) and where each binding stands."""
    selectors.require_individual(request.user)
    rows = [{"binding": b, "may_withdraw": can(b, request.user, "withdraw")}
            for b in selectors.bindings_of(request.user)]
    return render(request, "training/teacher/binding_list.html", {"rows": rows})


@login_required
def binding_create(request):
    """绑定课程类别: choose a category, add the qualifying experience; staff review it."""
    selectors.require_individual(request.user)
    form = forms.BindingForm(request.POST or None, library=request.user.work_experiences.all(),
                             categories=selectors.categories())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                binding = services.binding_submit(teacher=request.user, category=form.cleaned_data["category"],
                                                  experiences=form.experience_snapshots())
            except DomainError as exc:
                _add_error(form, exc)
                status = 409
            else:
                messages.success(request, _("Your binding to %(category)s waits for the association's review.")
                                 % {"category": binding.category})
                return redirect("training:binding-list")
        else:
            status = 400
    return render(request, "training/teacher/binding_form.html", {"form": form}, status=status)


@login_required
@require_POST
def binding_withdraw(request, pk: int):
    binding = selectors.binding_for(request.user, pk)
    try:
        services.binding_withdraw(binding=binding, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your binding to %(category)s is withdrawn.") % {"category": binding.category})
    return redirect("training:binding-list")


@login_required
def teacher_course_list(request):
    """课程备案管理: the course filings the teacher is named on, those waiting for an answer first."""
    selectors.require_individual(request.user)
    context = _list_context(request, [], ConfirmationStatus.choices)
    rows = selectors.teacher_courses(request.user, q=context["q"], status=context["status"])
    context["page"] = _page(request, rows)
    return render(request, "training/teacher/course_list.html", context)


def _teacher_course_page(request, row, *, answer_form=None, leave_form=None, status=200):
    answers = [a for a in allowed_actions(row, request.user) if a.name in ANSWERS]
    may_leave = selectors.may_ask_to_leave(row)
    unbindings = [{"unbinding": u, "may_withdraw": can(u, request.user, "withdraw")}
                  for u in selectors.unbindings_of(row)]
    return render(request, "training/teacher/course_detail.html", {
        "row": row, "course": row.course, "teachers": selectors.course_teachers(row.course),
        "answer_form": answer_form or (forms.AnswerForm(actions=answers) if answers else None),
        "leave_form": leave_form or (forms.UnbindingRequestForm() if may_leave else None),
        "unbindings": unbindings}, status=status)


@login_required
def teacher_course_detail(request, pk: int):
    """One filing the teacher is named on: confirm or decline it with an opinion (备案课程教师确认)."""
    row = selectors.teacher_course_for(request.user, pk)
    if request.method != "POST":
        return _teacher_course_page(request, row)
    answers = [a for a in allowed_actions(row, request.user) if a.name in ANSWERS]
    if not answers:
        messages.error(request, _("This course no longer waits for your answer."))
        return redirect("training:teacher-course-detail", pk=row.course_id)
    form = forms.AnswerForm(request.POST, actions=answers)
    if not form.is_valid():
        return _teacher_course_page(request, row, answer_form=form, status=400)
    confirm = form.cleaned_data["decision"] == "confirm"
    try:
        services.teacher_answer(course_teacher=row, teacher=request.user, confirm=confirm,
                                opinion=form.cleaned_data["opinion"])
    except DomainError as exc:
        _add_error(form, exc)
        return _teacher_course_page(request, row, answer_form=form, status=409)
    messages.success(request, (_("You confirmed %(title)s.") if confirm else _("You declined %(title)s."))
                     % {"title": row.course.title})
    return redirect("training:teacher-course-list")


@login_required
@require_POST
def teacher_course_leave(request, pk: int):
    """解除备案: ask to leave a filed course with a reason; the institution, then staff review it."""
    row = selectors.teacher_course_for(request.user, pk)
    form = forms.UnbindingRequestForm(request.POST)
    if not form.is_valid():
        return _teacher_course_page(request, row, leave_form=form, status=400)
    try:
        services.unbinding_request(course_teacher=row, teacher=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        _add_error(form, exc)
        return _teacher_course_page(request, row, leave_form=form, status=409)
    messages.success(request, _("Your request to leave %(title)s waits for the institution's review.")
                     % {"title": row.course.title})
    return redirect("training:teacher-course-detail", pk=row.course_id)


@login_required
@require_POST
def unbinding_withdraw(request, pk: int):
    """The teacher takes back a request to leave while the institution has not decided."""
    row = selectors.teacher_course_for(request.user, pk)
    unbinding = next((u for u in selectors.unbindings_of(row) if can(u, request.user, "withdraw")), None)
    if unbinding is None:
        messages.error(request, _("Nothing to withdraw here."))
    else:
        try:
            services.unbinding_withdraw(unbinding=unbinding, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your request to leave the course is withdrawn."))
    return redirect("training:teacher-course-detail", pk=row.course_id)


@login_required
def teacher_plan_list(request):
    """培训计划管理: the training plans the teacher is named on."""
    selectors.require_individual(request.user)
    context = _list_context(request, [], ConfirmationStatus.choices)
    context["page"] = _page(request, selectors.teacher_plans(request.user, q=context["q"], status=context["status"]))
    return render(request, "training/teacher/plan_list.html", context)


@login_required
def teacher_plan_detail(request, pk: int):
    """培训计划教师确认: the plan's details, and the teacher's result and reason while it waits."""
    row = selectors.teacher_plan_for(request.user, pk)
    answers = [a for a in allowed_actions(row, request.user) if a.name in ANSWERS]
    form = forms.AnswerForm(request.POST or None, actions=answers, opinion_label=_("Reason")) if answers else None
    status = 200
    if request.method == "POST":
        if form is None:
            messages.error(request, _("This plan no longer waits for your answer."))
            return redirect("training:teacher-plan-detail", pk=row.plan_id)
        if form.is_valid():
            confirm = form.cleaned_data["decision"] == "confirm"
            try:
                services.plan_teacher_answer(plan_teacher=row, teacher=request.user, confirm=confirm,
                                             reason=form.cleaned_data["opinion"])
            except DomainError as exc:
                _add_error(form, exc)
                status = 409
            else:
                messages.success(request, _("Your answer on the plan %(plan)s is recorded.") % {"plan": row.plan})
                return redirect("training:teacher-plan-list")
        else:
            status = 400
    return render(request, "training/teacher/plan_detail.html", {
        "row": row, "plan": row.plan, "teachers": selectors.plan_teachers(row.plan), "form": form}, status=status)


# =========================================================================== training institutions


@login_required
def course_list(request):
    """The institution's course filings: status, filing number, teachers; search, filter, pages."""
    selectors.require_institution(request.user)
    context = _list_context(request, [], CourseStatus.choices)
    context["page"] = _page(request, selectors.institution_courses(request.user, q=context["q"],
                                                                   status=context["status"]))
    return render(request, "training/institution/course_list.html", context)


def _course_form(request, course=None):
    initial = None
    if course is not None:
        initial = {"category": course.category_id, "title": course.title, "hours": course.hours,
                   "syllabus": course.syllabus, "online": course.online,
                   "teachers": [row.teacher_id for row in course.teachers.all()]}
    teachers = _teacher_choices(course)
    return forms.CourseForm(request.POST or None, initial=initial, categories=selectors.categories(),
                            teachers=teachers)


def _teacher_choices(course):
    """Every teacher with an approved binding (the service refuses one not bound to the chosen
    category), plus those already named on the draft."""
    from accounts.models import User

    bound = User.objects.filter(teacher_bindings__status=ReviewStatus.APPROVED)
    if course is not None:
        bound = bound | User.objects.filter(course_teaching__course=course)
    return bound.distinct().order_by("name")


def _may_edit_course(course, user) -> bool:
    """A filing is edited while its institution may still withdraw it (a draft or a returned one,
    the states course_save accepts)."""
    return can(course, user, "withdraw")


def _course_edit(request, course=None):
    if course is not None and not _may_edit_course(course, request.user):
        messages.info(request, _("This course filing is %(status)s: it cannot be changed now.")
                      % {"status": course.get_status_display()})
        return redirect("training:course-detail", pk=course.pk)
    form = _course_form(request, course)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            teachers = list(data.pop("teachers"))
            try:
                course = services.course_save(actor=request.user, course=course, teachers=teachers, **data)
            except DomainError as exc:
                _add_error(form, exc)
                status = 409
            else:
                messages.success(request, _("The course filing %(title)s is saved as a draft: upload its material "
                                            "and submit it.") % {"title": course.title})
                return redirect("training:course-detail", pk=course.pk)
        else:
            status = 400
    return render(request, "training/institution/course_form.html", {"form": form, "course": course}, status=status)


@login_required
def course_create(request):
    selectors.require_institution(request.user)
    return _course_edit(request)


@login_required
def course_edit(request, pk: int):
    return _course_edit(request, selectors.institution_course_for(request.user, pk))


def _course_page(request, course, *, material_form=None, evaluation_form=None, status=200):
    may_edit = _may_edit_course(course, request.user)
    submit = COURSE.action("submit")
    return render(request, "training/institution/course_detail.html", {
        "course": course, "teachers": selectors.course_teachers(course),
        "materials": selectors.course_materials(course),
        "evaluations": selectors.course_evaluations(course),
        "may_edit": may_edit, "may_withdraw": may_edit,
        "may_submit": can(course, request.user, "submit"),
        # Why it cannot be submitted yet (the guard: no teacher named), shown beside the draft.
        "submit_refusal": submit.refusal(course, request.user, course.status) if may_edit else "",
        "material_form": material_form or forms.MaterialForm(),
        "evaluation_form": evaluation_form or forms.EvaluationRequestForm(),
    }, status=status)


@login_required
def course_detail(request, pk: int):
    """One filing of the institution: teachers and their answers, material, evaluations, actions."""
    return _course_page(request, selectors.institution_course_for(request.user, pk))


@login_required
@require_POST
def course_submit(request, pk: int):
    """提交备案: each named teacher is asked to confirm."""
    course = selectors.institution_course_for(request.user, pk)
    try:
        services.course_submit(course=course, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(title)s is submitted: each teacher named on it is asked to confirm.")
                         % {"title": course.title})
    return redirect("training:course-detail", pk=course.pk)


@login_required
@require_POST
def course_withdraw(request, pk: int):
    course = selectors.institution_course_for(request.user, pk)
    try:
        services.course_withdraw(course=course, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The course filing %(title)s is withdrawn.") % {"title": course.title})
    return redirect("training:course-list")


@login_required
@require_POST
def material_add(request, pk: int):
    """Upload course material (a PDF, an MP4 or WebM video): the service checks its content and size."""
    course = selectors.institution_course_for(request.user, pk)
    form = forms.MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        return _course_page(request, course, material_form=form, status=400)
    try:
        material = services.material_add(course=course, actor=request.user, upload=form.cleaned_data["file"])
    except DomainError as exc:
        _add_error(form, exc)
        return _course_page(request, course, material_form=form, status=409)
    messages.success(request, _("%(name)s is uploaded.") % {"name": material.name})
    return redirect("training:course-detail", pk=course.pk)


@login_required
@require_POST
def evaluation_request(request, pk: int):
    """网络课程评价: ask the association to have the uploaded material evaluated by an expert."""
    course = selectors.institution_course_for(request.user, pk)
    form = forms.EvaluationRequestForm(request.POST)
    if not form.is_valid():
        return _course_page(request, course, evaluation_form=form, status=400)
    try:
        services.evaluation_open(course=course, purpose=EvaluationPurpose.ONLINE_COURSE,
                                 kind=form.cleaned_data["kind"], actor=request.user)
    except DomainError as exc:
        _add_error(form, exc)
        return _course_page(request, course, evaluation_form=form, status=409)
    messages.success(request, _("The association is asked to have the material of %(title)s evaluated.")
                     % {"title": course.title})
    return redirect("training:course-detail", pk=course.pk)


# --------------------------------------------------------------------------- 解除备案 requests


@login_required
def unbinding_list(request):
    """Teachers asking to leave the institution's filed courses; those waiting for it first."""
    selectors.require_institution(request.user)
    context = _list_context(request, [], ReviewStatus.choices)
    status = context["status"] if "status" in request.GET else ReviewStatus.INSTITUTION_REVIEW
    context["status"] = status
    context["page"] = _page(request, selectors.institution_unbindings(request.user, q=context["q"], status=status))
    return render(request, "training/institution/unbinding_list.html", context)


@login_required
def unbinding_detail(request, pk: int):
    unbinding = selectors.institution_unbinding_for(request.user, pk)
    actions = [a for a in allowed_actions(unbinding, request.user) if a.name in INSTITUTION_UNBINDING_ACTIONS]
    # The declaration lets the institution reject at the association's stage too; its page decides only
    # while its own review (institution_approve) is open.
    if not any(a.name == "institution_approve" for a in actions):
        actions = []
    form = forms.DecisionForm(request.POST or None, actions=actions) if actions else None
    status = 200
    if request.method == "POST":
        if form is None:
            messages.error(request, _("This request no longer waits for your institution's review."))
            return redirect("training:unbinding-detail", pk=unbinding.pk)
        if form.is_valid():
            try:
                services.unbinding_decide(unbinding=unbinding, actor=request.user,
                                          action=form.cleaned_data["decision"], reason=form.cleaned_data["reason"])
            except DomainError as exc:
                _add_error(form, exc)
                status = 409
            else:
                messages.success(request, _("%(teacher)s · %(title)s: %(decision)s — done.") % {
                    "teacher": unbinding.course_teacher.teacher.name,
                    "title": unbinding.course_teacher.course.title,
                    "decision": form.actions[form.cleaned_data["decision"]].label})
                return redirect("training:unbinding-list")
        else:
            status = 400
    return render(request, "training/institution/unbinding_detail.html",
                  {"unbinding": unbinding, "row": unbinding.course_teacher, "form": form}, status=status)


# --------------------------------------------------------------------------- 培训计划


@login_required
def plan_list(request):
    selectors.require_institution(request.user)
    context = _list_context(request, [], PlanStatus.choices)
    context["page"] = _page(request, selectors.institution_plans(request.user, q=context["q"],
                                                                 status=context["status"]))
    return render(request, "training/institution/plan_list.html", context)


def _may_edit_plan(plan, user) -> bool:
    """A plan is edited while it may be reported (a draft or a returned one, as plan_save accepts)."""
    return can(plan, user, "report")


def _plan_edit(request, plan=None):
    if plan is not None and not _may_edit_plan(plan, request.user):
        messages.info(request, _("This plan is %(status)s: it cannot be changed now.")
                      % {"status": plan.get_status_display()})
        return redirect("training:plan-detail", pk=plan.pk)
    initial = None
    if plan is not None:
        initial = {"course": plan.course_id, "starts_on": plan.starts_on, "ends_on": plan.ends_on,
                   "online": plan.online, "place": plan.place, "capacity": plan.capacity,
                   "teachers": [row.teacher_id for row in plan.teachers.all()]}
    form = forms.PlanForm(request.POST or None, initial=initial, courses=selectors.filed_courses(request.user),
                          teachers=selectors.institution_teachers(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = services.plan_save(actor=request.user, plan=plan, course=form.cleaned_data["course"],
                                          teachers=list(form.cleaned_data["teachers"]), **form.fields_for_service())
            except DomainError as exc:
                _add_error(form, exc)
                status = 409
            else:
                messages.success(request, _("The plan %(plan)s is saved: report it when it is ready.")
                                 % {"plan": plan})
                return redirect("training:plan-detail", pk=plan.pk)
        else:
            status = 400
    return render(request, "training/institution/plan_form.html", {"form": form, "plan": plan}, status=status)


@login_required
def plan_create(request):
    selectors.require_institution(request.user)
    return _plan_edit(request)


@login_required
def plan_edit(request, pk: int):
    return _plan_edit(request, selectors.institution_plan_for(request.user, pk))


@login_required
def plan_detail(request, pk: int):
    plan = selectors.institution_plan_for(request.user, pk)
    actions = {a.name for a in allowed_actions(plan, request.user)}
    return render(request, "training/institution/plan_detail.html", {
        "plan": plan, "teachers": selectors.plan_teachers(plan), "may_edit": "report" in actions,
        "may_report": "report" in actions, "may_cancel": "cancel" in actions})


@login_required
@require_POST
def plan_report(request, pk: int):
    """上报: each teacher named on the plan is asked to confirm."""
    plan = selectors.institution_plan_for(request.user, pk)
    try:
        services.plan_report(plan=plan, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The plan %(plan)s is reported: each teacher is asked to confirm.")
                         % {"plan": plan})
    return redirect("training:plan-detail", pk=plan.pk)


@login_required
@require_POST
def plan_cancel(request, pk: int):
    plan = selectors.institution_plan_for(request.user, pk)
    try:
        services.plan_cancel(plan=plan, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The plan %(plan)s is cancelled.") % {"plan": plan})
    return redirect("training:plan-list")
