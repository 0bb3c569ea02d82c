import datetime
import functools

from allauth.account.models import EmailAddress
from allauth.account.views import LoginView
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import crypto
from core.exceptions import DomainError
from core.http import client_ip
from core.masking import mask_mobile, mask_username

from . import forms, services
from .exceptions import DuplicateAccount
from .models import (
    CodeChannel,
    CodePurpose,
    EducationRecord,
    FailureKind,
    OutboxEmail,
    Qualification,
    SmsMessage,
    User,
    UserKind,
)

SIGNUP_KEY = "signup"
RECOVER_KEY = "recover_user"


def _form_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


# --------------------------------------------------------------------------- sign-up wizard
# agreement → notice → form → second confirmation → SMS code → done. Nothing is written to the
# database before the last step: the collected data waits in the session (ID number encrypted,
# password hashed), so an abandoned or failed sign-up leaves no account behind.

SIGNUP_STEPS = ["agreement", "notice", "form", "confirm", "verify"]


def _signup_state(request) -> dict:
    return request.session.get(SIGNUP_KEY, {})


def _signup_save(request, state: dict) -> None:
    request.session[SIGNUP_KEY] = state
    request.session.modified = True


def _signup_guard(request, step: str):
    """Send the visitor back to the first step they have not finished."""
    state = _signup_state(request)
    for earlier in SIGNUP_STEPS[: SIGNUP_STEPS.index(step)]:
        if not state.get(earlier):
            return redirect(f"accounts:signup-{earlier}")
    return None


def _signup_render(request, step: str, context: dict):
    context.update(steps=SIGNUP_STEPS, current=step, done=_signup_state(request))
    return render(request, f"accounts/signup_{step}.html", context)


def signup_agreement(request):
    if request.user.is_authenticated:
        return redirect("accounts:home")
    if request.method == "POST":
        if request.POST.get("accept") != "1":
            messages.error(request, _("You must accept the agreement to register."))
        else:
            _signup_save(request, {"agreement": timezone.now().isoformat()})
            return redirect("accounts:signup-notice")
    return _signup_render(request, "agreement", {})


def signup_notice(request):
    if guard := _signup_guard(request, "notice"):
        return guard
    if request.method == "POST":
        state = _signup_state(request)
        state["notice"] = timezone.now().isoformat()
        _signup_save(request, state)
        return redirect("accounts:signup-form")
    return _signup_render(request, "notice", {})


def signup_form(request):
    if guard := _signup_guard(request, "form"):
        return guard
    state = _signup_state(request)
    if request.method == "POST":
        form = forms.SignupForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            state["form"] = {
                "username": d["username"],
                "password_hash": make_password(d["password1"]),
                "name": d["name"],
                "id_type": d["id_type"],
                "id_number_token": crypto.encrypt(d["id_number"]),
                "gender": d["gender"],
                "birth_date": d["birth_date"].isoformat(),
                "email": d["email"],
                "mobile": d["mobile"],
                "education": {
                    "level": d["education_level"], "degree": d["degree"], "school": d["school"],
                    "major": d["major"], "graduated_on": d["graduated_on"].isoformat(),
                },
            }
            state.pop("confirm", None)
            _signup_save(request, state)
            return redirect("accounts:signup-confirm")
    else:
        initial = {}
        if saved := state.get("form"):
            initial = {k: saved[k] for k in ("username", "name", "id_type", "gender", "birth_date", "email", "mobile")}
            initial.update(education_level=saved["education"]["level"], degree=saved["education"]["degree"],
                           school=saved["education"]["school"], major=saved["education"]["major"],
                           graduated_on=saved["education"]["graduated_on"])
        form = forms.SignupForm(initial=initial)
    return _signup_render(request, "form", {"form": form})


def _expected_identity(state: dict) -> dict:
    saved = state["form"]
    return {"name": saved["name"], "id_type": saved["id_type"], "id_number": crypto.decrypt(saved["id_number_token"])}


def signup_confirm(request):
    if guard := _signup_guard(request, "confirm"):
        return guard
    state = _signup_state(request)
    form = forms.SignupConfirmForm(request.POST if request.method == "POST" else None, expected=_expected_identity(state))
    if request.method == "POST" and form.is_valid():
        state["confirm"] = timezone.now().isoformat()
        _signup_save(request, state)
        return redirect("accounts:signup-verify")
    return _signup_render(request, "confirm", {"form": form})


def signup_verify(request):
    if guard := _signup_guard(request, "verify"):
        return guard
    state = _signup_state(request)
    saved = state["form"]
    form = forms.CodeForm(request.POST if request.POST.get("action") == "verify" else None)
    if request.method == "POST" and request.POST.get("action") == "send":
        try:
            services.verification_code_send(channel=CodeChannel.SMS, address=saved["mobile"],
                                            purpose=CodePurpose.SIGNUP)
            messages.success(request, _("A verification code was sent to %(m)s.") % {"m": mask_mobile(saved["mobile"])})
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("accounts:signup-verify")
    if request.method == "POST" and form.is_valid():
        try:
            services.verification_code_check(channel=CodeChannel.SMS, address=saved["mobile"],
                                             purpose=CodePurpose.SIGNUP, code=form.cleaned_data["code"])
            user = services.user_signup(
                data=services.SignupData(
                    username=saved["username"], password_hash=saved["password_hash"], name=saved["name"],
                    id_type=saved["id_type"], id_number=crypto.decrypt(saved["id_number_token"]),
                    gender=saved["gender"], birth_date=datetime.date.fromisoformat(saved["birth_date"]),
                    email=saved["email"], mobile=saved["mobile"],
                    education={**saved["education"],
                               "graduated_on": datetime.date.fromisoformat(saved["education"]["graduated_on"])},
                    agreement_accepted_at=datetime.datetime.fromisoformat(state["agreement"]),
                ),
                ip_address=client_ip(request),
            )
        except DuplicateAccount as exc:
            # Somebody registered the same identity, mobile or e-mail meanwhile: back to the form.
            messages.error(request, exc.message)
            state.pop("confirm", None)
            _signup_save(request, state)
            return redirect("accounts:signup-form")
        except DomainError as exc:
            _form_error(form, exc)
        else:
            # The account is committed: now the e-mail verification link can go out.
            EmailAddress.objects.get(user=user, email=user.email).send_confirmation(request, signup=True)
            request.session.pop(SIGNUP_KEY, None)
            request.session["signup_done"] = user.username
            return redirect("accounts:signup-done")
    return _signup_render(request, "verify", {"form": form, "mobile": mask_mobile(saved["mobile"])})


def signup_done(request):
    username = request.session.get("signup_done")
    if not username:
        return redirect("accounts:signup-agreement")
    return render(request, "accounts/signup_done.html", {"username": username})


# --------------------------------------------------------------------------- login


class InstitutionLoginView(LoginView):
    """机构登录: the same form with the institution entry preselected."""

    def get_initial(self):
        return {**super().get_initial(), "entry": "institution"}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "institution_entry": True}


# --------------------------------------------------------------------------- recovery


def recover_index(request):
    return render(request, "accounts/recover_index.html")


def recover_sms(request):
    form = forms.RecoverBySmsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.recovery_sms_start(name=d["name"], id_type=d["id_type"], id_number=d["id_number"],
                                               mobile=d["mobile"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session[RECOVER_KEY] = {"user": user.pk, "via": "sms"}
            messages.success(request, _("A verification code was sent to %(m)s.") % {"m": mask_mobile(user.mobile)})
            return redirect("accounts:recover-sms-reset")
    return render(request, "accounts/recover_sms.html", {"form": form})


def _recovering_user(request, via: str) -> User:
    state = request.session.get(RECOVER_KEY) or {}
    if state.get("via") != via:
        raise Http404
    return get_object_or_404(User, pk=state["user"], is_active=True)


def _recover_reset(request, *, via: str, start_page: str, form_class, finish, template: str, context: dict):
    """The second page of a password recovery: the proof (code or answer) and the new password."""
    try:
        user = _recovering_user(request, via)
    except Http404:
        return redirect(start_page)
    form = form_class(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            finish(user=user, data=form.cleaned_data, ip_address=client_ip(request))
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session.pop(RECOVER_KEY, None)
            messages.success(request, _("Your password was reset. Log in with the new password."))
            return redirect("account_login")
    return render(request, template, {"form": form, **context(user)})


def recover_sms_reset(request):
    return _recover_reset(
        request, via="sms", start_page="accounts:recover-sms", form_class=forms.CodePasswordForm,
        finish=lambda user, data, ip_address: services.recovery_sms_finish(
            user=user, code=data["code"], password=data["password1"], ip_address=ip_address),
        template="accounts/recover_sms_reset.html", context=lambda user: {"mobile": mask_mobile(user.mobile)})


def recover_question(request):
    form = forms.RecoverIdentityForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.recovery_question_start(name=d["name"], id_type=d["id_type"], id_number=d["id_number"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session[RECOVER_KEY] = {"user": user.pk, "via": "question"}
            return redirect("accounts:recover-question-answer")
    return render(request, "accounts/recover_question.html", {"form": form})


def recover_question_answer(request):
    throttled = services.auth_address_throttled(kind=FailureKind.SECURITY_ANSWER, ip=client_ip(request))
    return _recover_reset(
        request, via="question", start_page="accounts:recover-question",
        form_class=functools.partial(forms.AnswerPasswordForm, picture_code=throttled),
        finish=lambda user, data, ip_address: services.recovery_question_finish(
            user=user, answer=data["answer"], password=data["password1"], ip_address=ip_address),
        template="accounts/recover_question_answer.html", context=lambda user: {"question": user.security_question})


def recover_username(request):
    form = forms.RecoverBySmsForm(request.POST if request.method == "POST" else None)
    found = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.username_recover(name=d["name"], id_type=d["id_type"], id_number=d["id_number"],
                                             mobile=d["mobile"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            found = {"username": mask_username(user.username), "mobile": mask_mobile(user.mobile)}
    return render(request, "accounts/recover_username.html", {"form": form, "found": found})


# --------------------------------------------------------------------------- candidate area


@login_required
def home(request):
    """After login: candidates go to the exam list (选择考试), institution users to the applications
    waiting for their institution's review (待审核)."""
    if request.user.kind == UserKind.INDIVIDUAL:
        return redirect("registration:exam-list")
    return redirect("certification:review-list")


@login_required
def profile(request):
    user = request.user
    return render(request, "accounts/profile.html", {
        "profile_user": user,
        "education": user.education_records.all(),
        "qualifications": user.qualifications.all(),
        "email_verified": EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists(),
    })


@login_required
def mobile_change(request):
    form = forms.MobileChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        mobile, action = form.cleaned_data["mobile"], request.POST.get("action")
        try:
            if action == "send":
                services.mobile_change_request(user=request.user, new_mobile=mobile)
                messages.success(request, _("A verification code was sent to %(m)s.") % {"m": mask_mobile(mobile)})
                return render(request, "accounts/mobile_change.html", {"form": form, "sent": True})
            if not form.cleaned_data.get("code"):
                form.add_error("code", _("Enter the verification code."))
            else:
                services.mobile_change_confirm(user=request.user, new_mobile=mobile, code=form.cleaned_data["code"],
                                               ip_address=client_ip(request))
                messages.success(request, _("Your mobile number was changed."))
                return redirect("accounts:profile")
        except DomainError as exc:
            _form_error(form, exc)
    return render(request, "accounts/mobile_change.html", {"form": form, "sent": request.method == "POST"})


@login_required
def security_question(request):
    form = forms.SecurityQuestionForm(request.POST if request.method == "POST" else None, user=request.user,
                                      initial={"question": request.user.security_question})
    if request.method == "POST" and form.is_valid():
        services.security_question_set(user=request.user, question=form.cleaned_data["question"],
                                       answer=form.cleaned_data["answer"], ip_address=client_ip(request))
        messages.success(request, _("Your security question was saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/security_question.html", {"form": form})


EMAIL_CHANGE_KEY = "email_change"


@login_required
def email_change(request):
    form = forms.EmailChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.email_change_request(user=request.user, new_email=form.cleaned_data["email"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session[EMAIL_CHANGE_KEY] = form.cleaned_data["email"]
            messages.success(request, _("Codes were sent to your current and your new address."))
            return redirect("accounts:email-change-confirm")
    return render(request, "accounts/email_change.html", {"form": form})


@login_required
def email_change_confirm(request):
    new_email = request.session.get(EMAIL_CHANGE_KEY)
    if not new_email:
        return redirect("accounts:email-change")
    has_old = bool(request.user.email)
    form = forms.EmailChangeConfirmForm(request.POST if request.method == "POST" else None, has_old=has_old)
    if request.method == "POST" and form.is_valid():
        try:
            services.email_change_confirm(user=request.user, new_email=new_email,
                                          old_code=form.cleaned_data.get("old_code", ""),
                                          new_code=form.cleaned_data["new_code"], ip_address=client_ip(request))
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session.pop(EMAIL_CHANGE_KEY, None)
            messages.success(request, _("Your e-mail address was changed."))
            return redirect("accounts:profile")
    return render(request, "accounts/email_change_confirm.html", {"form": form, "new_email": new_email})


def _owned_or_404(model, request, pk):
    return get_object_or_404(model, pk=pk, user=request.user)


@login_required
def education_edit(request, pk=None):
    record = _owned_or_404(EducationRecord, request, pk) if pk else None
    form = forms.EducationForm(request.POST if request.method == "POST" else None, instance=record)
    if request.method == "POST" and form.is_valid():
        services.education_record_save(user=request.user, record=record, data=form.cleaned_data)
        messages.success(request, _("The education record was saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/education_form.html", {"form": form, "record": record})


@login_required
@require_POST
def education_delete(request, pk):
    record = _owned_or_404(EducationRecord, request, pk)
    try:
        services.education_record_delete(user=request.user, record=record)
        messages.success(request, _("The education record was deleted."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:profile")


@login_required
def qualification_edit(request, pk=None):
    qualification = _owned_or_404(Qualification, request, pk) if pk else None
    form = forms.QualificationForm(request.POST if request.method == "POST" else None, instance=qualification)
    if request.method == "POST" and form.is_valid():
        services.qualification_save(user=request.user, qualification=qualification, data=form.cleaned_data)
        messages.success(request, _("The qualification was saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/qualification_form.html", {"form": form, "qualification": qualification})


@login_required
@require_POST
def qualification_delete(request, pk):
    services.qualification_delete(user=request.user, qualification=_owned_or_404(Qualification, request, pk))
    messages.success(request, _("The qualification was deleted."))
    return redirect("accounts:profile")


# --------------------------------------------------------------------------- demo


def outbox(request):
    """Demo only (DEBUG): the latest texts and e-mails the outbox backends 'sent', so a visitor can
    read codes and follow verification and reset links."""
    sms = settings.SMS_BACKEND == "accounts.sms.OutboxBackend"
    mail = settings.EMAIL_BACKEND == "accounts.mail.OutboxBackend"
    if not settings.DEBUG or not (sms or mail):
        raise Http404
    return render(request, "accounts/sms_outbox.html", {
        "sent": SmsMessage.objects.all()[:20] if sms else None,
        "mails": OutboxEmail.objects.all()[:20] if mail else None})
