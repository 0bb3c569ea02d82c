from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import is_listed_dishonest
from core.exceptions import DomainError
from exams import catalogue
from exams.models import Exam, ExamStatus
from photos import selectors as photo_selectors

from . import documents, forms, selectors, services, states
from .exceptions import InvalidChoice, NoSeatsInArea, StepMissing
from .models import EnrollmentStatus
from .states import ENROLLMENT

# A domain refusal re-renders the page with the reason; the status tells a tampered or stale form
# (400), a lost race for seats (409) and a closed window or locked registration (403) apart.
STATUS_FOR = {InvalidChoice: 400, StepMissing: 400, NoSeatsInArea: 409}


def _photo_gate(request, exam):
    """B4: without an approved photo for this exam body, go to the upload page first."""
    profile_key = photo_selectors.profile_key_for_exam_body(exam.body)
    if photo_selectors.has_approved_photo(request.user, profile_key):
        return None
    messages.info(request, _("Upload an ID photo that passes the check before you register."))
    query = urlencode({"profile": profile_key, "next": request.get_full_path()})
    return redirect(f"{reverse('photos:upload')}?{query}")


def _refusal_status(exc: DomainError) -> int:
    return next((status for cls, status in STATUS_FOR.items() if isinstance(exc, cls)), 403)


def _form_status(form) -> int:
    """400 when a submitted value is not one the page offered (tampering), else 200."""
    codes = {error.code for errors in form.errors.as_data().values() for error in errors}
    return 400 if "invalid_choice" in codes else 200


def _add_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _step_context(enrollment, current: str) -> dict:
    done = selectors.steps_done(enrollment)
    return {"enrollment": enrollment, "exam": enrollment.exam, "current_step": current,
            "steps": [
                ("info", _("Registration information"), done["info"]),
                ("subjects", _("Choose subjects"), done["subjects"]),
                ("area", _("Choose exam area"), done["area"]),
                ("confirm", _("Online payment"), done["payment"]),  # the confirmation page leads to it
            ],
            # The tracker's links are relative to the page (/enroll/<pk>/ or /enroll/<pk>/<step>/), so
            # the rendered tracker is the same for every candidate in the same state and is cached.
            "step_base": "../" if current else "",
            "step_state": "".join("1" if value else "0" for value in done.values())}


# 网上支付 is offered while the workflow lets the candidate take the seats (confirmed) or give back
# the seats an open order holds (they may still pay that order, or cancel it).
PAYMENT_ACTIONS = {"take_seats", "give_back_seats"}


def _payment_open(enrollment, user) -> bool:
    return any(action.name in PAYMENT_ACTIONS for action in ENROLLMENT.allowed_actions(enrollment, user))


@login_required
def exam_list(request):
    return render(request, "registration/exam_list.html", {"rows": selectors.exam_list(request.user)})


@login_required
def exam_notice(request, exam_id):
    """阅读考生须知: accepting it opens the enrollment."""
    exam = get_object_or_404(Exam, pk=exam_id, status=ExamStatus.PUBLISHED)
    existing = selectors.active_enrollment(request.user, exam)
    if existing:
        return redirect("registration:enrollment-progress", existing.pk)
    if gate := _photo_gate(request, exam):
        return gate
    form = forms.NoticeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            enrollment = services.enrollment_start(candidate=request.user, exam=exam)
        except DomainError as exc:
            _add_error(form, exc)
            status = _refusal_status(exc)
        else:
            return redirect("registration:enrollment-progress", enrollment.pk)
    return render(request, "registration/notice.html", {
        "exam": exam, "form": form, "is_open": exam.registration_is_open(),
        "dishonest_warning": is_listed_dishonest(request.user)}, status=status)


@login_required
def enrollment_progress(request, pk):
    """报考流程: the steps, which are done, and what to do next."""
    enrollment = selectors.enrollment_for_user(pk, request.user)
    choices = selectors.choices_of(enrollment)
    return render(request, "registration/progress.html", {
        **_step_context(enrollment, ""), "choices": choices, "total": selectors.total_fee(choices),
        "is_open": enrollment.exam.registration_is_open(),
        "actions": {action.name for action in ENROLLMENT.allowed_actions(enrollment, request.user)}})


def _edit_page(request, enrollment, template, form, context, apply):
    """Shared flow of the three editing steps: validate, call one service, report."""
    if gate := _photo_gate(request, enrollment.exam):
        return gate
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                apply(form)
            except DomainError as exc:
                _add_error(form, exc)
                status = _refusal_status(exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("registration:enrollment-progress", enrollment.pk)
        else:
            status = _form_status(form)
    locked_reason = None
    if not enrollment.exam.registration_is_open():
        locked_reason = _("Registration for this exam is not open: nothing can be changed now.")
    elif not enrollment.is_editable:
        locked_reason = _("Your seats are taken: subjects and area can no longer be changed here.")
    return render(request, template, {**context, "form": form, "locked_reason": locked_reason}, status=status)


@login_required
def enrollment_info(request, pk):
    enrollment = selectors.enrollment_for_user(pk, request.user)
    form = forms.InfoForm(request.POST if request.method == "POST" else None, instance=enrollment, candidate_name=request.user.name,
                          requires_province=enrollment.exam.requires_province)
    return _edit_page(request, enrollment, "registration/info_form.html", form,
                      {**_step_context(enrollment, "info"), "candidate": request.user},
                      lambda f: services.enrollment_save_info(enrollment=enrollment, actor=request.user,
                                                              data=f.cleaned_data))


@login_required
def enrollment_subjects(request, pk):
    enrollment = selectors.enrollment_for_user(pk, request.user)
    sittings = selectors.sittings_with_subjects(enrollment.exam)
    initial = {f"sitting_{c.sitting_id}": str(c.subject_id) for c in selectors.chosen_subjects(enrollment)}
    form = forms.SubjectsForm(request.POST if request.method == "POST" else None, sittings=sittings, initial=initial)
    return _edit_page(request, enrollment, "registration/subjects_form.html", form,
                      {**_step_context(enrollment, "subjects"), "fees": catalogue.of(enrollment.exam).fees},
                      lambda f: services.enrollment_choose_subjects(enrollment=enrollment, actor=request.user,
                                                                    subject_by_sitting=f.subject_by_sitting()))


@login_required
def enrollment_area(request, pk):
    enrollment = selectors.enrollment_for_user(pk, request.user)
    if not enrollment.subjects_saved_at:
        messages.info(request, _("Choose your subjects first."))
        return redirect("registration:enrollment-subjects", enrollment.pk)
    choices = selectors.chosen_subjects(enrollment)
    options = selectors.enrollment_area_options(enrollment, [c.sitting for c in choices])
    form = forms.AreaForm(request.POST if request.method == "POST" else None, options=options, initial={"area": enrollment.area_id})
    return _edit_page(request, enrollment, "registration/area_form.html", form,
                      {**_step_context(enrollment, "area"), "options": options, "choices": choices},
                      lambda f: services.enrollment_choose_area(enrollment=enrollment, actor=request.user,
                                                                area_id=f.cleaned_data["area"]))


@login_required
def enrollment_confirm(request, pk):
    """报名信息确认 (D7): everything on one page, then 我确认以上报考信息无误."""
    enrollment = selectors.enrollment_for_user(pk, request.user)
    if gate := _photo_gate(request, enrollment.exam):
        return gate
    choices = selectors.choices_of(enrollment)
    form = forms.ConfirmForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.enrollment_confirm(enrollment=enrollment, actor=request.user)
        except DomainError as exc:
            _add_error(form, exc)
            status = _refusal_status(exc)
        else:
            messages.success(request, _("Your registration information is confirmed."))
            return redirect("registration:enrollment-progress", enrollment.pk)
    return render(request, "registration/confirm.html", {
        **_step_context(enrollment, "confirm"), "form": form, "choices": choices,
        "total": selectors.total_fee(choices), "candidate": request.user,
        "can_pay": _payment_open(enrollment, request.user)}, status=status)


def _run_action(request, pk, action, done_message, next_page):
    enrollment = selectors.enrollment_for_user(pk, request.user)
    try:
        action(enrollment=enrollment, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("registration:enrollment-progress", enrollment.pk)
    messages.success(request, done_message)
    return next_page(enrollment)


@login_required
@require_POST
def enrollment_withdraw_confirmation(request, pk):
    return _run_action(request, pk, services.enrollment_withdraw_confirmation,
                       _("The confirmation was taken back: you can edit your registration."),
                       lambda e: redirect("registration:enrollment-progress", e.pk))


@login_required
@require_POST
def enrollment_withdraw(request, pk):
    return _run_action(request, pk, services.enrollment_withdraw, _("The registration was withdrawn."),
                       lambda e: redirect("registration:exam-list"))


@login_required
def my_enrollments(request):
    """查看报考信息 (D8): everything the candidate entered and chose, and the orders, payments,
    invoices, tickets and scores that followed, on one page that prints."""
    records = selectors.enrollment_records(request.user)
    for record in records:
        record.can_pay = _payment_open(record.enrollment, request.user)
    return render(request, "registration/my_enrollments.html", {
        "records": records, "candidate": request.user, "education": selectors.education_of(request.user)})


# --------------------------------------------------------------------------- my exams, documents, scores


@login_required
def my_exams(request):
    """我的考试: admission tickets, scores and reviews, and the documents to print."""
    return render(request, "registration/my_exams.html", {"rows": selectors.my_exams(request.user)})


@login_required
def registration_form_pdf(request, pk):
    """打印报名表 (and receipt), after confirmation."""
    enrollment = selectors.enrollment_for_user(pk, request.user)
    if not states.may_print_form(enrollment):
        messages.error(request, _("The registration form can be printed after you confirm your registration."))
        return redirect("registration:enrollment-progress", enrollment.pk)
    return documents.pdf_response(documents.registration_form(enrollment, selectors.choices_of(enrollment),
                                            selectors.paid_order_of(enrollment)), "报名表.pdf")


@login_required
def admission_ticket_pdf(request, pk):
    """打印准考证: only in the print window, only with allocated tickets."""
    enrollment = selectors.enrollment_for_user(pk, request.user)
    tickets = selectors.tickets_of(enrollment) if enrollment.status == EnrollmentStatus.ENROLLED else []
    if not states.may_print_tickets(enrollment, tickets):
        messages.error(request, _("Admission tickets can be printed only in the printing window, after seats "
                                  "are allocated."))
        return redirect("registration:my-exams")
    return documents.pdf_response(documents.admission_ticket(enrollment, tickets), "准考证.pdf")


@login_required
def score_review(request):
    """成绩复核申请: exam, ticket number, reason."""
    form = forms.ScoreReviewForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.score_review_request(candidate=request.user, exam=form.cleaned_data["exam"],
                                          ticket_number=form.cleaned_data["ticket_number"],
                                          reason=form.cleaned_data["reason"])
        except DomainError as exc:
            _add_error(form, exc)
            status = 400
        else:
            messages.success(request, _("Your score review request was submitted."))
            return redirect("registration:my-exams")
    return render(request, "registration/score_review.html", {"form": form}, status=status)
