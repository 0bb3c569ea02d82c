"""The reviewers' pages: institution users (待审核: 机构初审, 转出/转入审核; their people and certificates),
experts (专家评价) and, for staff, the figures per stage (/staff/certification/).

Each page finds its object through a selector that 404s for anyone it does not concern
(certification.queues), offers what `allowed_actions` says and calls one service."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from core.workflow import allowed_actions

from . import queues, services
from .models import ApplicationKind, CertificateStatus, Field, Track
from .review_forms import EvaluationForm, ReviewForm

PAGE_SIZE = 20
# What an institution decides on its page (the association's approval and decisions are in admin).
INSTITUTION_ACTIONS = ("institution_approve", "transfer_out_approve", "transfer_in_approve", "return", "reject")


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _require_institution(user) -> None:
    if not queues.is_institution_user(user):
        raise Http404("institution users only")


def _require_expert(user) -> None:
    if not queues.is_expert(user):
        raise Http404("experts only")


# --------------------------------------------------------------------------- institutions


@login_required
def review_list(request):
    """待审核: the institution's applications waiting for it; search, filters, pages."""
    _require_institution(request.user)
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "") if request.GET.get("kind") in ApplicationKind.values else ""
    stage = request.GET.get("stage", "") if request.GET.get("stage") in queues.INSTITUTION_STAGES else ""
    track = _int(request.GET.get("track"))
    rows = queues.institution_queue(request.user, q=q, kind=kind, stage=stage, track_id=track)
    return render(request, "certification/review/review_list.html", {
        "page": _page(request, rows), "q": q, "kind": kind, "stage": stage, "track": track,
        "kinds": [(value, label) for value, label in ApplicationKind.choices
                  if value in (ApplicationKind.REGISTRATION, ApplicationKind.ANNUAL, ApplicationKind.TRANSFER)],
        "stages": [(value, label) for value, label in queues.S.choices if value in queues.INSTITUTION_STAGES],
        "tracks": Track.objects.select_related("field", "level"),
        "query": _query_without_page(request)})


@login_required
def review_history(request):
    """All applications that concern the institution, whatever their stage (what it reviewed before)."""
    _require_institution(request.user)
    q = request.GET.get("q", "").strip()
    return render(request, "certification/review/review_history.html", {
        "page": _page(request, queues.institution_handled(request.user, q=q)), "q": q,
        "query": _query_without_page(request)})


def _review_context(app, items, form) -> dict:
    item_fields = {item.pk: name for item, name in form.item_fields} if form is not None else {}
    return {"app": app, "form": form, "history": queues.application_history(app),
            "snapshot": queues.submitted(app),
            "rows": [(item, form[item_fields[item.pk]] if item.pk in item_fields else None) for item in items]}


@login_required
def review_detail(request, pk: int):
    """The submitted application, its items and evidence, its history, and the verdicts the
    institution may give now."""
    app = queues.institution_application_for(request.user, pk)
    actions = [a for a in allowed_actions(app, request.user) if a.name in INSTITUTION_ACTIONS]
    items = queues.application_items(app)
    form = ReviewForm(request.POST or None, actions=actions, items=items) if actions else None
    status = 200
    if request.method == "POST":
        if form is None:
            messages.error(request, _("This application no longer waits for your institution's review."))
            return redirect("certification:review-detail", pk=app.pk)
        if form.is_valid():
            try:
                services.review(app=app, actor=request.user, action=form.cleaned_data["decision"],
                                reason=form.cleaned_data["reason"], item_reasons=form.item_reasons())
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 409
            else:
                label = form.actions[form.cleaned_data["decision"]].label
                messages.success(request, _("%(number)s: %(decision)s — done.") % {"number": app.number,
                                                                                  "decision": label})
                return redirect("certification:review-list")
        else:
            status = 400
    return render(request, "certification/review/review_detail.html", _review_context(app, items, form),
                  status=status)


@login_required
def institution_people(request):
    """执业人员: who practises (or practised) for the institution, with their certificates."""
    _require_institution(request.user)
    q = request.GET.get("q", "").strip()
    current = request.GET.get("current", "current")
    if current not in ("current", "former", "all"):
        current = "current"
    rows = queues.institution_people(request.user, q=q, current=current)
    return render(request, "certification/review/institution_people.html", {
        "page": _page(request, rows), "q": q, "current": current, "query": _query_without_page(request)})


SHOWN_STATUSES = [(CertificateStatus.VALID, CertificateStatus.VALID.label), ("expired", None),
                  (CertificateStatus.SUSPENDED, CertificateStatus.SUSPENDED.label),
                  (CertificateStatus.REVOKED, CertificateStatus.REVOKED.label)]


@login_required
def institution_certificates(request):
    """The certificates recorded at the institution: valid, expired, suspended, revoked."""
    _require_institution(request.user)
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    statuses = [(value, label or _("Expired")) for value, label in SHOWN_STATUSES]
    if status not in dict(statuses):
        status = ""
    field = _int(request.GET.get("field"))
    rows = queues.institution_certificates(request.user, q=q, status=status, field_id=field)
    page = _page(request, rows)
    labels = dict(statuses)
    for certificate in page:
        certificate.shown_label = labels[certificate.shown_status()]
    return render(request, "certification/review/institution_certificates.html", {
        "page": page, "q": q, "status": status, "statuses": statuses, "field": field,
        "fields": Field.objects.all(), "query": _query_without_page(request)})


# --------------------------------------------------------------------------- experts


@login_required
def evaluation_list(request):
    """专家评价: what is assigned to the expert, overdue first; search, filter by kind."""
    _require_expert(request.user)
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "") if request.GET.get("kind") in ApplicationKind.values else ""
    overdue = request.GET.get("overdue") == "1"
    rows = queues.expert_queue(request.user, q=q, kind=kind, overdue_only=overdue)
    return render(request, "certification/review/evaluation_list.html", {
        "page": _page(request, rows), "q": q, "kind": kind, "overdue": overdue,
        "kinds": [(value, label) for value, label in ApplicationKind.choices if value != ApplicationKind.COMPLAINT],
        "query": _query_without_page(request)})


@login_required
def evaluation(request, pk: int):
    """The expert's evaluation of one application (the notices link here): each item conforming or
    not with a comment, a result, an opinion. Only for the expert it is assigned to."""
    app, done = queues.expert_application_for(request.user, pk)
    items = queues.application_items(app)
    context = {"app": app, "items": items, "history": queues.application_history(app),
               "snapshot": queues.submitted(app), "done": done}
    if done is not None:  # submitted already: shown as it was sent
        # An item the applicant removed in a later round keeps its verdict, under the title it had.
        context["done_rows"] = [(services.item_title(verdict.item) if verdict.item_id else verdict.item_title, verdict)
                                for verdict in done.verdicts.all()]
        return render(request, "certification/review/evaluation.html", context)
    form = EvaluationForm(request.POST or None, items=items)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                evaluation = services.evaluation_submit(app=app, expert=request.user, verdicts=form.verdicts(),
                                                        result=form.cleaned_data["result"],
                                                        opinion=form.cleaned_data["opinion"])
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 409
            else:
                messages.success(request, _("Your evaluation of %(number)s was sent to the association.")
                                 % {"number": app.number})
                return redirect("certification:evaluation", pk=evaluation.application_id)
        else:
            status = 400
    context["form"] = form
    context["rows"] = [(item, form[verdict], form[comment]) for item, verdict, comment in form.item_fields]
    return render(request, "certification/review/evaluation.html", context, status=status)


# --------------------------------------------------------------------------- staff


@staff_member_required
@permission_required("certification.view_application", raise_exception=True)
def stages(request):
    """Applications per stage now and the average time per stage (SPEC issue 15, "Staff")."""
    return render(request, "certification/review/stages.html", {"rows": queues.stage_figures()})
