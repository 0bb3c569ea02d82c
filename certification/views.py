"""The applicant's pages (个人中心: 在线申请, 我的事项, 基本信息库, 我的证书), seed 002 §§3–4.

Each view: a selector that returns the object or 404 for this user, one service call, a message,
a redirect. What may happen now comes from the workflow (certification.states via core.workflow)."""
from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import EducationRecord
from core.exceptions import DomainError
from core.workflow import allowed_actions, can

from . import applicant_services, forms, selectors, services
from .exceptions import RequirementsNotMet
from .models import ApplicationKind, Evidence, ItemKind

K = ApplicationKind
PAGE_SIZE = 20
STARTABLE = {K.REGISTRATION, K.TRANSFER, K.APPEAL, K.COMPLAINT}  # 年度确认 starts from its own page
FOR_INDIVIDUALS = {K.REGISTRATION, K.ANNUAL, K.TRANSFER}  # institution accounts file only appeals and complaints


def _add_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _individual_or_404(request, kind: str) -> None:
    if kind in FOR_INDIVIDUALS and request.user.kind == "institution":
        raise Http404("institution accounts do not apply for certification")


# --------------------------------------------------------------------------- 在线申请


@login_required
def apply_index(request):
    """在线申请: the five services, each with 在线办理."""
    institution_account = request.user.kind == "institution"
    services_offered = []
    if not institution_account:
        services_offered += [
            (K.REGISTRATION, _("Apply to be registered as certification personnel in a field and level."),
             reverse("certification:application-start", args=[K.REGISTRATION])),
            (K.ANNUAL, _("Confirm a certificate that is near or past its expiry date, to extend it."),
             reverse("certification:annual")),
            (K.TRANSFER, _("Certified personnel only: move to another practicing institution."),
             reverse("certification:application-start", args=[K.TRANSFER])),
        ]
    services_offered += [
        (K.APPEAL, _("Appeal against a decision; an expert evaluates it and the association decides."),
         reverse("certification:application-start", args=[K.APPEAL])),
        (K.COMPLAINT, _("Complain about certification personnel or an institution; the association decides."),
         reverse("certification:application-start", args=[K.COMPLAINT])),
    ]
    rows = [{"kind": kind, "label": ApplicationKind(kind).label, "text": text, "url": url}
            for kind, text, url in services_offered]
    return render(request, "certification/applicant/apply.html", {"rows": rows})


def _start_form(request, kind: str):
    data = request.POST if request.method == "POST" else None
    if kind == K.REGISTRATION:
        return forms.RegistrationForm(data, applicant=request.user,
                                      fixed_institution=selectors.practicing_institution(request.user))
    if kind == K.TRANSFER:
        return forms.TransferForm(data, applicant=request.user)
    return forms.CaseForm(data, kind=kind)


@login_required
def application_start(request, kind: str):
    """在线办理: the first page of a registration, transfer, appeal or complaint; 下一步 keeps it as a
    draft (暂存草稿箱) and goes on to experiences, files and submitting."""
    if kind not in STARTABLE:
        raise Http404("no such service")
    _individual_or_404(request, kind)
    context = {"kind": kind, "kind_label": ApplicationKind(kind).label,
               "fixed_institution": selectors.practicing_institution(request.user)}
    if kind == K.TRANSFER and not selectors.valid_certificates(request.user).exists():
        return render(request, "certification/applicant/start.html", {**context, "not_certified": True})
    form = _start_form(request, kind)
    if request.method == "POST" and form.is_valid():
        fields = form.fields_for_service()
        existing = (selectors.open_application_for_certificate(request.user, fields["certificate"], kind)
                    if kind == K.TRANSFER else None)
        if existing is not None:
            form.add_error("certificate", _("You already have an application to change institution for this "
                                            "certificate (%(number)s): continue it under My items.")
                           % {"number": existing.number})
        else:
            try:
                app = services.application_create(applicant=request.user, kind=kind, **fields)
            except IntegrityError:  # the same field and level started at the same moment in another tab
                form.add_error(None, _("You already have an open application for this field and level: continue "
                                       "it under My items."))
            except DomainError as exc:
                _add_error(form, exc)
            else:
                messages.success(request, _("Your application %(number)s is kept in your drafts: add what it "
                                            "needs, then submit it.") % {"number": app.number})
                return redirect("certification:application-edit", app.pk)
    return render(request, "certification/applicant/start.html", {**context, "form": form})


@login_required
def annual(request):
    """年度确认: only certificates in their renewal window; otherwise there is nothing to confirm."""
    _individual_or_404(request, K.ANNUAL)
    candidates = services.annual_candidates(request.user)
    if request.method == "POST":
        chosen = next((c for c in candidates if str(c.pk) == request.POST.get("certificate")), None)
        if chosen is None:
            messages.error(request, _("This certificate cannot be confirmed now."))
            return redirect("certification:annual")
        existing = selectors.open_application_for_certificate(request.user, chosen, K.ANNUAL)
        if existing is not None:
            return redirect("certification:application-edit" if selectors.may_edit(existing, request.user)
                            else "certification:application-detail", existing.pk)
        app = services.application_create(applicant=request.user, kind=K.ANNUAL, certificate=chosen,
                                          track=chosen.track)
        messages.success(request, _("Your application %(number)s is kept in your drafts: add what it needs, then "
                                    "submit it.") % {"number": app.number})
        return redirect("certification:application-edit", app.pk)
    rows = [{"certificate": c, "open": selectors.open_application_for_certificate(request.user, c, K.ANNUAL),
             "shown_label": selectors.SHOWN_STATUS_LABELS.get(c.shown_status())} for c in candidates]
    return render(request, "certification/applicant/annual.html", {
        "rows": rows, "next_window": None if rows else selectors.next_renewal_window(request.user)})


# --------------------------------------------------------------------------- editing a draft


def _main_form(request, app):
    """The application's own fields for its kind (annual confirmation has none to change)."""
    data = request.POST if request.method == "POST" else None
    if app.kind == K.REGISTRATION:
        return forms.RegistrationForm(data, applicant=request.user, app=app,
                                      fixed_institution=selectors.practicing_institution(request.user),
                                      initial={"track": app.track_id, "institution": app.institution_id})
    if app.kind == K.TRANSFER:
        return forms.TransferForm(data, applicant=request.user, initial={
            "certificate": app.certificate_id, "target_institution": app.target_institution_id})
    if app.kind in (K.APPEAL, K.COMPLAINT):
        return forms.CaseForm(data, kind=app.kind, initial={
            "title": app.title, "content": app.content, "respondent": app.respondent})
    return django_forms.Form(data)


def _item_choices(app) -> list[tuple[int, str]]:
    return [(item.pk, f"{item.get_kind_display()}: {services.item_title(item)}") for item in app.items.all()]


def _edit_page(request, app, *, form=None, evidence_form=None, problems=None, status=200):
    takes_items = selectors.kind_takes_items(app.kind)
    library = selectors.library_of(request.user) if takes_items else {}
    kinds = [{"kind": kind, "label": ItemKind(kind).label, "library_count": len(library.get(kind, []))}
             for kind in ItemKind.values] if takes_items else []
    return render(request, "certification/applicant/edit.html", {
        "app": app, "form": form or _main_form(request, app),
        "evidence_form": evidence_form or forms.EvidenceForm(items=_item_choices(app)),
        "items": selectors.items_of(app, as_submitted=False), "takes_items": takes_items, "kinds": kinds,
        "loose_evidence": selectors.unattached_evidence(app),
        "problems": problems, "pending": selectors.submit_problems(app) if problems is None else [],
        "return_reason": selectors.last_return_reason(app) if app.status == "returned" else "",
        "fixed_institution": selectors.practicing_institution(request.user) if app.kind == K.REGISTRATION else None,
        "may_withdraw": can(app, request.user, "withdraw"),
    }, status=status)


def _editable_or_detail(request, pk):
    app = selectors.application_for_applicant(pk, request.user)
    if not selectors.may_edit(app, request.user):
        messages.info(request, _("This application is %(status)s: it cannot be changed now.")
                      % {"status": app.get_status_display()})
        return app, redirect("certification:application-detail", app.pk)
    return app, None


@login_required
def application_edit(request, pk: int):
    """业务办理: change the draft, 暂存草稿箱 or 提交; after 退回整改 the items show the reviewer's reasons."""
    app, away = _editable_or_detail(request, pk)
    if away:
        return away
    if request.method != "POST":
        return _edit_page(request, app)
    form = _main_form(request, app)
    if not form.is_valid():
        return _edit_page(request, app, form=form)
    fields = form.fields_for_service() if hasattr(form, "fields_for_service") else {}
    try:
        if fields:
            app = services.application_save(app=app, actor=request.user, **fields)
        if request.POST.get("action") != "submit":
            messages.success(request, _("Saved in your drafts. You can continue later under My items."))
            return redirect("certification:application-edit", app.pk)
        services.application_submit(app=app, actor=request.user)
    except RequirementsNotMet as exc:
        app.refresh_from_db()
        return _edit_page(request, app, form=form, problems=exc.problems)  # what was typed is saved and shown
    except IntegrityError:
        form.add_error("track" if "track" in form.fields else None,
                       _("You already have an open application for this field and level: continue it under My "
                         "items."))
        return _edit_page(request, app, form=form)
    except DomainError as exc:
        _add_error(form, exc)
        return _edit_page(request, app, form=form)
    messages.success(request, _("Submitted: %(number)s now waits for review. Follow it under My items.")
                     % {"number": app.number})
    return redirect("certification:application-detail", app.pk)


@login_required
@require_POST
def application_submit(request, pk: int):
    """提交 from the detail page; what is missing is listed on the edit page, one line each."""
    app, away = _editable_or_detail(request, pk)
    if away:
        return away
    try:
        services.application_submit(app=app, actor=request.user)
    except RequirementsNotMet as exc:
        return _edit_page(request, app, problems=exc.problems)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("certification:application-detail", app.pk)
    messages.success(request, _("Submitted: %(number)s now waits for review. Follow it under My items.")
                     % {"number": app.number})
    return redirect("certification:application-detail", app.pk)


@login_required
def application_withdraw(request, pk: int):
    """撤回, after a confirmation page: a withdrawn application cannot be taken up again."""
    app = selectors.application_for_applicant(pk, request.user)
    if not can(app, request.user, "withdraw"):
        messages.info(request, _("This application is %(status)s: it cannot be withdrawn now.")
                      % {"status": app.get_status_display()})
        return redirect("certification:application-detail", app.pk)
    if request.method != "POST":
        return render(request, "certification/applicant/withdraw.html", {"app": app})
    try:
        applicant_services.application_withdraw(app=app, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The application %(number)s was withdrawn.") % {"number": app.number})
    return redirect("certification:application-detail", app.pk)


def _item_kind_or_404(app, kind: str) -> str:
    if kind not in ItemKind.values or not selectors.kind_takes_items(app.kind):
        raise Http404("no such item kind")
    return kind


@login_required
def item_add(request, pk: int, kind: str):
    """添加: an experience typed in (and kept in the library when asked)."""
    app, away = _editable_or_detail(request, pk)
    if away:
        return away
    kind = _item_kind_or_404(app, kind)
    form_class = forms.ITEM_FORMS[kind]
    form = form_class(request.POST if request.method == "POST" else None)
    if kind in applicant_services.LIBRARY_MODELS:
        form.fields["keep_in_library"] = django_forms.BooleanField(
            label=_("Also keep it in my basic-information library"), required=False, initial=True)
    if request.method == "POST" and form.is_valid():
        try:
            applicant_services.item_add_typed(app=app, actor=request.user, kind=kind, data=form.cleaned_data,
                                              keep_in_library=form.cleaned_data.get("keep_in_library", False))
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Added."))
            return redirect(reverse("certification:application-edit", args=[app.pk]) + "#items")
    return render(request, "certification/applicant/item_form.html", {
        "app": app, "form": form, "kind_label": ItemKind(kind).label})


def _library_entry(kind: str, user, pk: int):
    if kind == ItemKind.EDUCATION:
        return EducationRecord.objects.filter(user=user, pk=pk).first()
    return applicant_services.LIBRARY_MODELS[kind].objects.filter(person=user, pk=pk).first()


def _entry_label(kind: str, entry) -> str:
    from .services import library_data

    return " · ".join(value for _label, value in selectors.item_rows(kind, library_data(kind, entry)) if value != "—")


@login_required
def item_pick(request, pk: int, kind: str):
    """从基本信息库添加: tick entries of the library; each is copied (a snapshot) into the application."""
    app, away = _editable_or_detail(request, pk)
    if away:
        return away
    kind = _item_kind_or_404(app, kind)
    entries = selectors.library_choices(app, kind)
    form = forms.LibraryPickForm(request.POST if request.method == "POST" else None,
                                 choices=[(e.pk, _entry_label(kind, e)) for e in entries])
    if request.method == "POST" and form.is_valid():
        chosen = [_library_entry(kind, request.user, entry_pk) for entry_pk in form.cleaned_data["entries"]]
        try:
            added = applicant_services.items_add_from_library(app=app, actor=request.user, kind=kind,
                                                              entries=[e for e in chosen if e is not None])
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("%(count)d added from your basic-information library.") % {"count": len(added)})
            return redirect(reverse("certification:application-edit", args=[app.pk]) + "#items")
    return render(request, "certification/applicant/item_pick.html", {
        "app": app, "form": form, "kind": kind, "kind_label": ItemKind(kind).label, "has_entries": bool(entries)})


@login_required
@require_POST
def item_remove(request, pk: int, item_pk: int):
    app = selectors.application_for_applicant(pk, request.user)
    item = get_object_or_404(app.items, pk=item_pk)
    try:
        services.item_remove(item=item, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Removed from the application (your library keeps its entry)."))
    return redirect(reverse("certification:application-edit", args=[app.pk]) + "#items")


@login_required
@require_POST
def evidence_upload(request, pk: int):
    app, away = _editable_or_detail(request, pk)
    if away:
        return away
    form = forms.EvidenceForm(request.POST, request.FILES, items=_item_choices(app))
    if form.is_valid():
        item = app.items.filter(pk=form.cleaned_data["item"]).first() if form.cleaned_data["item"] else None
        try:
            evidence = applicant_services.evidence_add(app=app, actor=request.user, upload=form.cleaned_data["file"],
                                                       item=item)
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("%(name)s is attached.") % {"name": evidence.name})
            return redirect(reverse("certification:application-edit", args=[app.pk]) + "#files")
    return _edit_page(request, app, evidence_form=form, status=400)


@login_required
@require_POST
def evidence_remove(request, pk: int):
    evidence = get_object_or_404(Evidence.objects.select_related("application"), pk=pk,
                                 application__applicant=request.user)
    try:
        applicant_services.evidence_remove(evidence=evidence, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s was removed.") % {"name": evidence.name})
    return redirect(reverse("certification:application-edit", args=[evidence.application_id]) + "#files")


@login_required
def evidence(request, pk: int):
    """A supporting file, to those allowed to see it (404 for anyone else)."""
    found = selectors.evidence_for_user(pk, request.user)
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404("file missing") from None
    response = FileResponse(handle, content_type=found.content_type, as_attachment=True, filename=found.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- 我的事项


@login_required
def my_items(request):
    """我的事项: every application (drafts too) with its status and next step, and the exam items."""
    form = forms.MyItemsFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.my_applications(request.user, query=filters.get("q", ""), kind=filters.get("kind", ""),
                                     status=filters.get("status", ""))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for app in page:
        app.editable = selectors.may_edit(app, request.user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "certification/applicant/my_items.html", {
        "form": form, "page": page, "query": query.urlencode(), "filtered": any(filters.values()),
        "exam_items": selectors.exam_items(request.user) if request.user.kind != "institution" else []})


@login_required
def application_detail(request, pk: int):
    """查看: what was submitted (or the draft), files, every step with its reason, the fee, what to do next."""
    app = selectors.application_for_applicant(pk, request.user)
    actions = {action.name: action for action in allowed_actions(app, request.user)}
    submitted = bool(app.snapshot) and not selectors.may_edit(app, request.user)
    return render(request, "certification/applicant/detail.html", {
        "app": app, "snapshot": app.snapshot if submitted else None,
        "items": selectors.items_of(app, as_submitted=submitted),
        "loose_evidence": selectors.unattached_evidence(app),
        "timeline": selectors.timeline(app),
        "vouchers": selectors.vouchers_of(app),
        "payment_due": selectors.payment_may_happen(app),
        "may_edit": selectors.may_edit(app, request.user),
        "may_submit": any(name.startswith("submit") for name in actions),
        "may_withdraw": "withdraw" in actions,
        "return_reason": selectors.last_return_reason(app) if app.status == "returned" else "",
    })


# --------------------------------------------------------------------------- 基本信息库


@login_required
def library(request):
    _individual_or_404(request, K.REGISTRATION)
    return render(request, "certification/applicant/library.html", {"library": selectors.library_of(request.user)})


def _library_kind_or_404(kind: str) -> str:
    if kind not in applicant_services.LIBRARY_MODELS:
        raise Http404("no such library kind")
    return kind


@login_required
def library_edit(request, kind: str, pk: int | None = None):
    _individual_or_404(request, K.REGISTRATION)
    kind = _library_kind_or_404(kind)
    entry = get_object_or_404(applicant_services.LIBRARY_MODELS[kind], pk=pk, person=request.user) if pk else None
    form = forms.LIBRARY_FORMS[kind](request.POST if request.method == "POST" else None, instance=entry)
    if request.method == "POST" and form.is_valid():
        applicant_services.library_entry_save(person=request.user, kind=kind, entry=entry, data=form.cleaned_data)
        messages.success(request, _("Saved in your basic-information library."))
        return redirect(reverse("certification:library") + f"#{kind}")
    return render(request, "certification/applicant/library_form.html", {
        "form": form, "entry": entry, "kind_label": ItemKind(kind).label})


@login_required
@require_POST
def library_delete(request, kind: str, pk: int):
    kind = _library_kind_or_404(kind)
    entry = get_object_or_404(applicant_services.LIBRARY_MODELS[kind], pk=pk, person=request.user)
    applicant_services.library_entry_delete(person=request.user, kind=kind, entry=entry)
    messages.success(request, _("Deleted from your library. Applications that used it keep their copy."))
    return redirect(reverse("certification:library") + f"#{kind}")


# --------------------------------------------------------------------------- 我的证书


@login_required
def my_certificates(request):
    return render(request, "certification/applicant/my_certificates.html",
                  {"rows": selectors.my_certificates(request.user)})
