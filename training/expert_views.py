"""专家评价 › 网络课程评价 and 老课复审 (SPEC H5, H6; seed 002 §5.3): the material evaluations assigned to an
expert, and the evaluation screen (the course, its material, a score per criterion, an opinion,
passed or not) sent through `services.evaluation_submit`. Everything 404s for an expert it is not
assigned to (or, once sent, who did not send it)."""
from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from core.exceptions import DomainError
from core.models import Assignment
from core.validators import PlainTextFormMixin

from . import services
from .models import (
    CourseMaterial,
    EvaluationCriterion,
    EvaluationPurpose,
    MaterialEvaluation,
    MaterialKind,
)
from .states import EVALUATION_STAGE

PAGE_SIZE = 20
TITLES = {EvaluationPurpose.ONLINE_COURSE: gettext_lazy("Online-course evaluation"),
          EvaluationPurpose.REREVIEW: gettext_lazy("Old-course re-review")}
LIST_URLS = {EvaluationPurpose.ONLINE_COURSE: "training_expert:online-course-list",
             EvaluationPurpose.REREVIEW: "training_expert:rereview-list"}


# --------------------------------------------------------------------------- selectors


def _is_expert(user) -> bool:
    return user.is_authenticated and user.is_active and user.groups.filter(name=Role.EXPERT).exists()


def _open_assignments(user):
    return Assignment.objects.filter(content_type=ContentType.objects.get_for_model(MaterialEvaluation),
                                     stage=EVALUATION_STAGE, assignee=user, done_at__isnull=True)


def expert_queue(user, *, purpose: str, kind: str = "", q: str = "") -> list[dict]:
    """The evaluations of `purpose` assigned to the expert and not yet sent: overdue first, then by due date."""
    if not _is_expert(user):
        return []
    now = timezone.now()
    assignments = {int(a.object_id): a for a in _open_assignments(user)}
    rows = MaterialEvaluation.objects.filter(pk__in=assignments, purpose=purpose).select_related(
        "course__institution", "course__category")
    if kind in MaterialKind.values:
        rows = rows.filter(kind=kind)
    if q:
        rows = rows.filter(Q(course__title__icontains=q) | Q(course__filing_number__icontains=q))
    result = [{"evaluation": e, "assignment": assignments[e.pk],
               "overdue": assignments[e.pk].due_at is not None and assignments[e.pk].due_at < now} for e in rows]
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    return sorted(result, key=lambda r: (not r["overdue"], r["assignment"].due_at or far, r["assignment"].created_at))


def evaluation_for_expert(user, pk: int) -> tuple[MaterialEvaluation, bool]:
    """The evaluation and whether it still waits for this expert; 404 unless it is assigned to them
    (open) or they sent it."""
    if not _is_expert(user):
        raise Http404("experts only")
    evaluation = MaterialEvaluation.objects.select_related("course__institution", "course__category",
                                                           "expert").filter(pk=pk).first()
    if evaluation is None:
        raise Http404("no such evaluation")
    waiting = _open_assignments(user).filter(object_id=str(evaluation.pk)).exists()
    if not waiting and evaluation.expert_id != user.pk:
        raise Http404("not assigned to this expert")
    if not waiting and evaluation.decided_at is None:
        raise Http404("reassigned")
    return evaluation, waiting


def material_for_expert(user, pk: int) -> CourseMaterial:
    """A course's material, to an expert with an open evaluation of that course (404 for anyone else)."""
    material = CourseMaterial.objects.filter(pk=pk).first()
    if material is None or not _is_expert(user):
        raise Http404("no such material")
    evaluations = MaterialEvaluation.objects.filter(course_id=material.course_id).values_list("pk", flat=True)
    if not _open_assignments(user).filter(object_id__in=[str(pk) for pk in evaluations]).exists():
        raise Http404("not assigned to this expert")
    return material


def material_response(material: CourseMaterial) -> FileResponse:
    """The private file as a download (staff in admin, the assigned expert here)."""
    try:
        handle = material.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("the material's file is missing") from None
    content_type = material.content_type if "/" in material.content_type else "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, as_attachment=True, filename=material.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- the form


RESULT_CHOICES = [("passed", gettext_lazy("Passed")), ("failed", gettext_lazy("Not passed"))]


class MaterialEvaluationForm(PlainTextFormMixin, forms.Form):
    result = forms.ChoiceField(label=gettext_lazy("Result"), choices=RESULT_CHOICES, widget=forms.RadioSelect)
    opinion = forms.CharField(label=gettext_lazy("Opinion"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=gettext_lazy("Needed when the material does not pass: the institution "
                                                     "reads it."))

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criterion_fields = []
        for criterion in criteria:
            name = f"score_{criterion.pk}"
            self.fields[name] = forms.IntegerField(
                label=criterion.name, min_value=0, max_value=criterion.max_points,
                help_text=gettext_lazy("0 to %(max)d points") % {"max": criterion.max_points})
            self.criterion_fields.append((criterion, name))
        self.order_fields([name for _criterion, name in self.criterion_fields] + ["result", "opinion"])

    def clean(self):
        data = super().clean()
        if data.get("result") == "failed" and not (data.get("opinion") or "").strip():
            self.add_error("opinion", _("Give your opinion: the institution needs to know why it did not pass."))
        return data

    def scores(self) -> dict[int, int]:
        return {criterion.pk: self.cleaned_data[name] for criterion, name in self.criterion_fields}


# --------------------------------------------------------------------------- views


def _purpose_list(request, purpose: str):
    if not _is_expert(request.user):
        raise Http404("experts only")
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "") if request.GET.get("kind") in MaterialKind.values else ""
    rows = expert_queue(request.user, purpose=purpose, kind=kind, q=q)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "training/expert/evaluation_list.html", {
        "title": TITLES[purpose], "purpose": purpose, "q": q, "kind": kind, "kinds": MaterialKind.choices,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")), "query": query.urlencode()})


@login_required
def online_course_list(request):
    """网络课程评价: the online-course material waiting for this expert (documents or videos)."""
    return _purpose_list(request, EvaluationPurpose.ONLINE_COURSE)


@login_required
def rereview_list(request):
    """老课复审: the filed courses whose re-review waits for this expert."""
    return _purpose_list(request, EvaluationPurpose.REREVIEW)


@login_required
def evaluation(request, pk: int):
    """The evaluation screen (notices link here): the course, its material, a score per criterion,
    an opinion, passed or not. Once sent, shown as it was sent."""
    evaluation, waiting = evaluation_for_expert(request.user, pk)
    course = evaluation.course
    criteria = list(EvaluationCriterion.objects.filter(kind=evaluation.kind))
    context = {"evaluation": evaluation, "course": course, "waiting": waiting,
               "title": TITLES[evaluation.purpose], "list_url": LIST_URLS[evaluation.purpose],
               "materials": list(course.materials.order_by("kind", "created_at")) if waiting else [],
               "teachers": list(course.teachers.filter(active=True).select_related("teacher"))}
    if not waiting:
        context["done_rows"] = [(c, evaluation.scores.get(str(c.pk), "—")) for c in criteria]
        return render(request, "training/expert/evaluation.html", context)
    form = MaterialEvaluationForm(request.POST or None, criteria=criteria)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.evaluation_submit(evaluation=evaluation, expert=request.user, scores=form.scores(),
                                           opinion=form.cleaned_data["opinion"],
                                           passed=form.cleaned_data["result"] == "passed")
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 409
            else:
                messages.success(request, _("Your evaluation of %(course)s was sent to the association.")
                                 % {"course": course.title})
                return redirect("training_expert:evaluation", pk=evaluation.pk)
        else:
            status = 400
    context["form"] = form
    context["score_fields"] = [form[name] for _criterion, name in form.criterion_fields]
    return render(request, "training/expert/evaluation.html", context, status=status)


@login_required
def material_file(request, pk: int):
    """A course's material, downloaded by the expert evaluating it."""
    return material_response(material_for_expert(request.user, pk))
