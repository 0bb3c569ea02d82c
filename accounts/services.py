"""Every change to accounts goes through here: one transaction, one audit entry, follow-up
work queued on commit."""
from __future__ import annotations

import datetime
import hmac
import math
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.core.cache import cache, caches
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import crypto
from core.audit import audit_log
from core.masking import mask_email, mask_id_number, mask_mobile

from . import selectors
from .exceptions import (
    AccountLocked,
    DuplicateAccount,
    IdentityMismatch,
    ResendTooSoon,
    RuleViolation,
    VerificationFailed,
)
from .identity import normalize_id_number
from .models import (
    AuthFailure,
    CodeChannel,
    CodePurpose,
    EducationRecord,
    FailureKind,
    Qualification,
    User,
    UserKind,
    VerificationCode,
)
from .roles import Role

# --------------------------------------------------------------------------- sign-up


@dataclass
class SignupData:
    """What the sign-up wizard collected; the password is already hashed."""

    username: str
    password_hash: str
    name: str
    id_type: str
    id_number: str
    gender: str
    birth_date: datetime.date
    email: str
    mobile: str
    education: dict = field(default_factory=dict)
    agreement_accepted_at: datetime.datetime | None = None


def _duplicate_error(*, username: str, id_type: str, id_number: str, mobile: str, email: str,
                     exclude: User | None = None) -> DuplicateAccount | None:
    if username and selectors.username_taken(username):
        return DuplicateAccount(_("This username is taken. Choose another one."), field="username")
    if id_number and selectors.identity_taken(id_type, id_number):
        return DuplicateAccount(
            _("An account with this ID number already exists. Log in, or recover your username or password."),
            field="id_number",
        )
    if mobile and selectors.mobile_taken(mobile, exclude=exclude):
        return DuplicateAccount(_("This mobile number is already bound to another account."), field="mobile")
    if email and selectors.email_taken(email, exclude=exclude):
        return DuplicateAccount(_("This e-mail address is already used by another account."), field="email")
    return None


def signup_check_available(*, username: str, id_type: str, id_number: str, mobile: str, email: str) -> None:
    """Raise DuplicateAccount naming the first field that already belongs to an account."""
    error = _duplicate_error(username=username, id_type=id_type, id_number=id_number, mobile=mobile, email=email)
    if error:
        raise error


def user_signup(*, data: SignupData, ip_address: str | None = None) -> User:
    """Create an individual account with its first education record; the mobile was verified.

    All or nothing: a duplicate found by the database constraints raises DuplicateAccount."""
    from allauth.account.models import EmailAddress

    number = normalize_id_number(data.id_number)
    try:
        with transaction.atomic():
            user = User(
                username=data.username,
                name=data.name,
                kind=UserKind.INDIVIDUAL,
                id_type=data.id_type,
                gender=data.gender,
                birth_date=data.birth_date,
                email=data.email,
                mobile=data.mobile,
                mobile_verified_at=timezone.now(),
                agreement_accepted_at=data.agreement_accepted_at,
                password=data.password_hash,
            )
            user.set_id_number(number)
            user.save()
            EducationRecord.objects.create(user=user, **data.education)
            EmailAddress.objects.create(user=user, email=data.email, primary=True, verified=False)
            user.groups.add(Group.objects.get_or_create(name=Role.CANDIDATE)[0])
            audit_log(
                actor=user, action="user.signup", obj=user, ip_address=ip_address,
                after={"username": user.username, "name": user.name, "id_type": user.id_type,
                       "id_number": mask_id_number(number), "mobile": mask_mobile(user.mobile),
                       "email": mask_email(user.email)},
            )
    except IntegrityError as exc:
        error = _duplicate_error(username=data.username, id_type=data.id_type, id_number=number,
                                 mobile=data.mobile, email=data.email)
        raise (error or DuplicateAccount(_("This account already exists."))) from exc
    return user


# --------------------------------------------------------------------------- verification codes


def _code_hash(channel: str, address: str, purpose: str, code: str) -> str:
    return crypto.keyed_hash(f"code:{channel}:{address}:{purpose}:{code}")


def _code_message(channel: str, purpose: str, code: str) -> tuple[str, str]:
    minutes = int(settings.VERIFICATION_CODE_TTL.total_seconds() // 60)
    purpose_label = CodePurpose(purpose).label
    text = _(
        "[Exam registration] Your verification code for %(purpose)s is %(code)s, valid for %(minutes)d "
        "minutes. Do not share it with anyone."
    ) % {"purpose": purpose_label, "code": code, "minutes": minutes}
    return _("Your verification code"), text


def verification_code_send(*, channel: str, address: str, purpose: str) -> None:
    """Issue a new code to a mobile or e-mail address: at most one per address per resend interval."""
    from . import tasks

    now = timezone.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    interval = settings.VERIFICATION_RESEND_INTERVAL
    with transaction.atomic():
        row = VerificationCode.objects.select_for_update().filter(channel=channel, address=address).first()
        if row is not None and now - row.sent_at < interval:
            raise ResendTooSoon(math.ceil((row.sent_at + interval - now).total_seconds()))
        values = {"purpose": purpose, "code_hash": _code_hash(channel, address, purpose, code),
                  "sent_at": now, "attempts": 0, "consumed_at": None}
        if row is None:
            try:
                with transaction.atomic():
                    VerificationCode.objects.create(channel=channel, address=address, **values)
            except IntegrityError:  # a concurrent request created it a moment ago
                raise ResendTooSoon(math.ceil(interval.total_seconds()))
        else:
            VerificationCode.objects.filter(pk=row.pk).update(**values)
        subject, text = _code_message(channel, purpose, code)
        transaction.on_commit(lambda: tasks.deliver_message.delay(channel, address, subject, text))


@dataclass(frozen=True)
class CodeAttempt:
    """One code typed by the user, for the address it was sent to; `field` names its form field."""

    channel: str
    address: str
    purpose: str
    code: str
    field: str = "code"


def verification_codes_check(*attempts: CodeAttempt) -> None:
    """Consume the codes if every one matches; otherwise count each wrong try and consume none.

    Call it outside any other transaction: the wrong tries are recorded even though this raises."""
    now = timezone.now()
    failure: VerificationFailed | None = None
    with transaction.atomic():
        rows = []
        for attempt in sorted(attempts, key=lambda a: (a.channel, a.address)):  # fixed lock order
            row = (VerificationCode.objects.select_for_update()
                   .filter(channel=attempt.channel, address=attempt.address).first())
            rows.append((attempt, row))
        for attempt, row in sorted(rows, key=lambda pair: attempts.index(pair[0])):
            error = None
            if row is None or row.purpose != attempt.purpose or row.consumed_at is not None:
                error = _("Request a verification code first.")
            elif now > row.sent_at + settings.VERIFICATION_CODE_TTL:
                error = _("The verification code has expired. Request a new one.")
            elif row.attempts >= settings.VERIFICATION_MAX_ATTEMPTS:
                error = _("Too many wrong codes. Request a new one.")
            elif not hmac.compare_digest(
                row.code_hash, _code_hash(attempt.channel, attempt.address, attempt.purpose, (attempt.code or "").strip())
            ):
                row.attempts += 1
                row.save(update_fields=["attempts"])
                left = settings.VERIFICATION_MAX_ATTEMPTS - row.attempts
                error = (_("Wrong verification code. %(n)d tries left.") % {"n": left} if left
                         else _("Too many wrong codes. Request a new one."))
            if error and failure is None:
                failure = VerificationFailed(error, field=attempt.field)
        if failure is None:
            VerificationCode.objects.filter(pk__in=[row.pk for _attempt, row in rows]).update(consumed_at=now)
    if failure is not None:
        raise failure


def verification_code_check(*, channel: str, address: str, purpose: str, code: str) -> None:
    """Consume the current code of an address if it matches; count a wrong try."""
    verification_codes_check(CodeAttempt(channel, address, purpose, code))


# --------------------------------------------------------------------------- lockout


def _login_name(identifier: str) -> str:
    """A typed login name as failures are stored and compared: trimmed, case folded."""
    return (identifier or "").strip().lower()[:254]


def _lock_remaining(*, kind: str, user: User | None, identifier: str = "") -> datetime.timedelta | None:
    """How long the account stays locked, or None. A login name that names no account is locked the
    same way, so the lock message never tells which names belong to an account.

    A lock starts at the failure that makes LIMIT failures within WINDOW and lasts LOCKOUT;
    attempts while locked are not recorded, so a lock is never extended by them. Failures from an
    address never lock anything (that address may be a campus NAT or our own proxy): see
    auth_address_throttled."""
    if user is not None:
        scope = {"user": user}
    elif _login_name(identifier):
        scope = {"user__isnull": True, "identifier": _login_name(identifier)}
    else:
        return None
    limit, window, lockout = settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW, settings.LOGIN_LOCKOUT
    now = timezone.now()
    times = list(
        AuthFailure.objects.filter(kind=kind, created_at__gte=now - window - lockout, **scope)
        .order_by("created_at").values_list("created_at", flat=True)
    )
    longest = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] <= window:
            remaining = times[i] + lockout - now
            if remaining > datetime.timedelta(0) and (longest is None or remaining > longest):
                longest = remaining
    return longest


def auth_check_allowed(*, kind: str = FailureKind.LOGIN, user: User | None, identifier: str = "",
                       ip: str | None = None) -> None:
    """Raise AccountLocked while the account (or the login name without one) is locked.

    `ip` is accepted for the callers' symmetry with auth_record_failure; an address is never locked."""
    remaining = _lock_remaining(kind=kind, user=user, identifier=identifier)
    if remaining is not None:
        raise AccountLocked(max(1, math.ceil(remaining.total_seconds() / 60)))


def auth_address_throttled(*, kind: str = FailureKind.LOGIN, ip: str | None) -> bool:
    """Whether LOGIN_ADDRESS_FAILURE_LIMIT failures came from this address within LOGIN_FAILURE_WINDOW.

    A throttled address is asked for a picture code again before a password or answer is tried;
    a right password is never refused for the address alone."""
    if not ip:
        return False
    since = timezone.now() - settings.LOGIN_FAILURE_WINDOW
    count = AuthFailure.objects.filter(kind=kind, ip_address=ip, created_at__gte=since).count()
    return count >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


def auth_record_failure(*, kind: str = FailureKind.LOGIN, user: User | None, identifier: str = "",
                        ip: str | None) -> None:
    """Count a failed login or security answer; audit the lock it may start."""
    with transaction.atomic():
        AuthFailure.objects.create(kind=kind, user=user, identifier=_login_name(identifier), ip_address=ip,
                                   created_at=timezone.now())
        if user is not None and _lock_remaining(kind=kind, user=user) is not None:
            audit_log(actor=None, action=f"user.locked.{kind}", obj=user, ip_address=ip,
                      after={"minutes": int(settings.LOGIN_LOCKOUT.total_seconds() // 60)})


def auth_record_success(*, kind: str = FailureKind.LOGIN, user: User) -> None:
    """A successful login forgets the account's earlier failures (the address's still count)."""
    AuthFailure.objects.filter(kind=kind, user=user).delete()


# --------------------------------------------------------------------------- passwords and recovery


def user_set_password(*, user: User, password: str, actor: User | None, via: str,
                      ip_address: str | None = None) -> None:
    """Set a new password (change, e-mail reset, SMS reset, security question)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_log(actor=actor, action="user.password_set", obj=user, after={"via": via}, ip_address=ip_address)


def recovery_identify(*, name: str, id_type: str, id_number: str, mobile: str | None = None) -> User:
    """The account matching real name + ID (+ mobile), or IdentityMismatch."""
    user = selectors.user_by_identity(id_type=id_type, id_number=id_number, name=name)
    if user is None or (mobile is not None and user.mobile != mobile):
        raise IdentityMismatch()
    return user


def recovery_question_start(*, name: str, id_type: str, id_number: str) -> User:
    """The account whose security question will be asked; refused when it has none."""
    user = recovery_identify(name=name, id_type=id_type, id_number=id_number)
    if not user.security_question:
        raise RuleViolation(_("This account has no security question. Use another way to recover it."))
    return user


def recovery_sms_start(*, name: str, id_type: str, id_number: str, mobile: str) -> User:
    """Send a password-reset code to the account's mobile once name, ID and mobile match."""
    user = recovery_identify(name=name, id_type=id_type, id_number=id_number, mobile=mobile)
    verification_code_send(channel=CodeChannel.SMS, address=user.mobile, purpose=CodePurpose.RESET_PASSWORD)
    return user


def recovery_sms_finish(*, user: User, code: str, password: str, ip_address: str | None = None) -> None:
    verification_code_check(channel=CodeChannel.SMS, address=user.mobile, purpose=CodePurpose.RESET_PASSWORD,
                            code=code)
    user_set_password(user=user, password=password, actor=None, via="sms", ip_address=ip_address)


def _normalize_answer(answer: str) -> str:
    return "".join((answer or "").split()).casefold()


def security_question_set(*, user: User, question: str, answer: str, ip_address: str | None = None) -> None:
    """Set the password-recovery question; the answer is stored hashed."""
    with transaction.atomic():
        before = {"question": user.security_question}
        user.security_question = question.strip()
        user.security_answer_hash = make_password(_normalize_answer(answer))
        user.save(update_fields=["security_question", "security_answer_hash"])
        audit_log(actor=user, action="user.security_question_set", obj=user, before=before,
                  after={"question": user.security_question}, ip_address=ip_address)


def recovery_question_finish(*, user: User, answer: str, password: str, ip_address: str | None = None) -> None:
    """Reset the password when the security answer is right; wrong answers count towards a lock."""
    if not user.security_question or not user.security_answer_hash:
        raise RuleViolation(_("This account has no security question. Use another way to recover it."))
    auth_check_allowed(kind=FailureKind.SECURITY_ANSWER, user=user, ip=ip_address)
    if not check_password(_normalize_answer(answer), user.security_answer_hash):
        auth_record_failure(kind=FailureKind.SECURITY_ANSWER, user=user, identifier=user.username, ip=ip_address)
        raise VerificationFailed(_("The answer is not correct."), field="answer")
    auth_record_success(kind=FailureKind.SECURITY_ANSWER, user=user)
    user_set_password(user=user, password=password, actor=None, via="security_question", ip_address=ip_address)


def username_recover(*, name: str, id_type: str, id_number: str, mobile: str) -> User:
    """Find the username from identity + mobile and text it to that mobile (at most every 2 minutes)."""
    from . import tasks

    user = recovery_identify(name=name, id_type=id_type, id_number=id_number, mobile=mobile)
    if cache.add(f"username-sms:{user.mobile}", 1, int(settings.VERIFICATION_RESEND_INTERVAL.total_seconds())):
        text = _("[Exam registration] Your username is %(username)s.") % {"username": user.username}
        transaction.on_commit(lambda: tasks.deliver_message.delay(CodeChannel.SMS, user.mobile, "", text))
    return user


# --------------------------------------------------------------------------- profile


def mobile_change_request(*, user: User, new_mobile: str) -> None:
    """Send a code to the new mobile after checking that no other account holds it."""
    if new_mobile == user.mobile:
        raise RuleViolation(_("This is already your mobile number."), field="mobile")
    if selectors.mobile_taken(new_mobile, exclude=user):
        raise DuplicateAccount(_("This mobile number is already bound to another account."), field="mobile")
    verification_code_send(channel=CodeChannel.SMS, address=new_mobile, purpose=CodePurpose.CHANGE_MOBILE)


def mobile_change_confirm(*, user: User, new_mobile: str, code: str, ip_address: str | None = None) -> None:
    """Bind the new mobile once its code is right."""
    verification_code_check(channel=CodeChannel.SMS, address=new_mobile, purpose=CodePurpose.CHANGE_MOBILE,
                            code=code)
    try:
        with transaction.atomic():
            old = user.mobile
            User.objects.filter(pk=user.pk).update(mobile=new_mobile, mobile_verified_at=timezone.now())
            user.refresh_from_db(fields=["mobile", "mobile_verified_at"])
            audit_log(actor=user, action="user.mobile_changed", obj=user, ip_address=ip_address,
                      before={"mobile": mask_mobile(old)}, after={"mobile": mask_mobile(new_mobile)})
    except IntegrityError as exc:
        raise DuplicateAccount(_("This mobile number is already bound to another account."), field="mobile") from exc


def email_change_request(*, user: User, new_email: str) -> None:
    """Send codes to the current and the new address."""
    new_email = new_email.strip()
    if user.email and new_email.lower() == user.email.lower():
        raise RuleViolation(_("This is already your e-mail address."), field="email")
    if selectors.email_taken(new_email, exclude=user):
        raise DuplicateAccount(_("This e-mail address is already used by another account."), field="email")
    if user.email:
        verification_code_send(channel=CodeChannel.EMAIL, address=user.email, purpose=CodePurpose.CHANGE_EMAIL_OLD)
    verification_code_send(channel=CodeChannel.EMAIL, address=new_email, purpose=CodePurpose.CHANGE_EMAIL_NEW)


def email_change_confirm(*, user: User, new_email: str, old_code: str, new_code: str,
                         ip_address: str | None = None) -> None:
    """Switch to the new address once both codes are right; it counts as verified."""
    from allauth.account.models import EmailAddress

    new_email = new_email.strip()
    attempts = [CodeAttempt(CodeChannel.EMAIL, new_email, CodePurpose.CHANGE_EMAIL_NEW, new_code, "new_code")]
    if user.email:
        attempts.insert(0, CodeAttempt(CodeChannel.EMAIL, user.email, CodePurpose.CHANGE_EMAIL_OLD, old_code,
                                       "old_code"))
    verification_codes_check(*attempts)
    try:
        with transaction.atomic():
            old = user.email
            User.objects.filter(pk=user.pk).update(email=new_email)
            user.refresh_from_db(fields=["email"])
            EmailAddress.objects.filter(user=user).delete()
            EmailAddress.objects.create(user=user, email=new_email, primary=True, verified=True)
            audit_log(actor=user, action="user.email_changed", obj=user, ip_address=ip_address,
                      before={"email": mask_email(old)}, after={"email": mask_email(new_email)})
    except IntegrityError as exc:
        raise DuplicateAccount(_("This e-mail address is already used by another account."), field="email") from exc


EDUCATION_FIELDS = ("level", "degree", "school", "major", "graduated_on", "certificate_number")
QUALIFICATION_FIELDS = ("name", "certificate_number", "issuer", "issued_on")


def _values(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


# Staff (admin, the user's page) also correct the verification status of an education record (A8).
STAFF_EDUCATION_FIELDS = (*EDUCATION_FIELDS, "verification_status")


def _editor(user: User, actor: User | None) -> tuple[User, tuple]:
    """Who edits `user`'s records and which fields: the user themselves, or staff allowed to."""
    if actor is None or actor.pk == user.pk:
        return user, EDUCATION_FIELDS
    if not actor.has_perm("accounts.change_educationrecord"):
        raise PermissionDenied
    return actor, STAFF_EDUCATION_FIELDS


def education_record_save(*, user: User, record: EducationRecord | None, data: dict,
                          actor: User | None = None) -> EducationRecord:
    """Add an education record, or change one of the user's own (`actor`: staff correcting it)."""
    actor, fields = _editor(user, actor)
    with transaction.atomic():
        if record is None:
            record = EducationRecord(user=user)
            before = {}
        else:
            if record.user_id != user.pk:
                raise PermissionDenied
            before = _values(record, fields)
        for name in fields:
            if name in data:
                setattr(record, name, data[name])
        record.save()
        audit_log(actor=actor, action="education.saved", obj=record, before=before, after=_values(record, fields))
    return record


def education_record_delete(*, user: User, record: EducationRecord, actor: User | None = None) -> None:
    """Remove one of the user's education records; the last one stays (sign-up requires one)."""
    actor, fields = _editor(user, actor)
    with transaction.atomic():
        if record.user_id != user.pk:
            raise PermissionDenied
        User.objects.select_for_update().filter(pk=user.pk).first()  # serialise deletes of one user
        if EducationRecord.objects.filter(user=user).count() <= 1:
            raise RuleViolation(_("At least one education record is required."))
        audit_log(actor=actor, action="education.deleted", obj=record, before=_values(record, fields))
        record.delete()


def _qualification_editor(user: User, actor: User | None) -> User:
    if actor is None or actor.pk == user.pk:
        return user
    if not actor.has_perm("accounts.change_qualification"):
        raise PermissionDenied
    return actor


def qualification_save(*, user: User, qualification: Qualification | None, data: dict,
                       actor: User | None = None) -> Qualification:
    actor = _qualification_editor(user, actor)
    with transaction.atomic():
        if qualification is None:
            qualification = Qualification(user=user)
            before = {}
        else:
            if qualification.user_id != user.pk:
                raise PermissionDenied
            before = _values(qualification, QUALIFICATION_FIELDS)
        for name in QUALIFICATION_FIELDS:
            if name in data:
                setattr(qualification, name, data[name])
        qualification.save()
        audit_log(actor=actor, action="qualification.saved", obj=qualification, before=before,
                  after=_values(qualification, QUALIFICATION_FIELDS))
    return qualification


def qualification_delete(*, user: User, qualification: Qualification, actor: User | None = None) -> None:
    actor = _qualification_editor(user, actor)
    with transaction.atomic():
        if qualification.user_id != user.pk:
            raise PermissionDenied
        audit_log(actor=actor, action="qualification.deleted", obj=qualification,
                  before=_values(qualification, QUALIFICATION_FIELDS))
        qualification.delete()


# --------------------------------------------------------------------------- staff


def user_reveal_id_number(*, viewer: User, user: User, ip_address: str | None = None) -> str:
    """The full ID number, for staff with the permission; every reveal is audited."""
    if not viewer.has_perm("accounts.view_full_id_number"):
        raise PermissionDenied
    audit_log(actor=viewer, action="user.id_number_revealed", obj=user, ip_address=ip_address)
    return user.id_number


def user_correct_identity(*, actor: User, user: User, name: str, id_type: str, id_number: str,
                          gender: str, birth_date: datetime.date | None, ip_address: str | None = None) -> None:
    """Staff correct a real name or ID (they are fixed for the user)."""
    number = normalize_id_number(id_number)
    before = {"name": user.name, "id_type": user.id_type, "id_number": user.id_number_masked,
              "gender": user.gender, "birth_date": user.birth_date}
    try:
        with transaction.atomic():
            user.name, user.id_type, user.gender, user.birth_date = name, id_type, gender, birth_date
            user.set_id_number(number)
            user.save(update_fields=["name", "id_type", "gender", "birth_date", "id_number_encrypted",
                                     "id_number_hash"])
            audit_log(actor=actor, action="user.identity_corrected", obj=user, ip_address=ip_address, before=before,
                      after={"name": name, "id_type": id_type, "id_number": mask_id_number(number),
                             "gender": gender, "birth_date": birth_date})
    except IntegrityError as exc:
        raise DuplicateAccount(_("An account with this ID number already exists."), field="id_number") from exc


def security_records_purge() -> int:
    """Forget failures and codes nobody can use any more."""
    now = timezone.now()
    horizon = now - settings.LOGIN_FAILURE_WINDOW - settings.LOGIN_LOCKOUT - datetime.timedelta(hours=1)
    failures, _detail = AuthFailure.objects.filter(created_at__lt=horizon).delete()
    codes, _detail = VerificationCode.objects.filter(sent_at__lt=now - datetime.timedelta(days=1)).delete()
    return failures + codes


def dishonest_record_save(*, actor: User, id_number: str, name: str, reason: str,
                          listed_until: datetime.date | None, active: bool = True, record=None):
    """Put a person on the dishonest-person list (A10), or update the entry; the number is kept only
    as a keyed hash and a masked copy."""
    from .models import DishonestRecord

    number = normalize_id_number(id_number)
    with transaction.atomic():
        record = record or DishonestRecord()
        before = {"name": record.name, "reason": record.reason, "active": record.active} if record.pk else {}
        if number:
            record.id_number_hash = crypto.keyed_hash(number)
            record.id_number_masked = mask_id_number(number)
        record.name, record.reason, record.listed_until, record.active = name, reason, listed_until, active
        record.save()
        audit_log(actor=actor, action="dishonest.saved", obj=record, before=before,
                  after={"name": name, "id_number": record.id_number_masked, "listed_until": listed_until,
                         "active": active})
    return record


# --------------------------------------------------------------------------- roles and admin access (分配角色)


def user_roles_change(*, actor: User, user: User, grant=(), revoke=(), ip_address: str | None = None) -> list[str]:
    """Give and take roles (groups), each one the actor holds the permission for (roles.ASSIGN_PERMISSION);
    a staff role given sets is_staff, the last one taken clears it. One audit entry per role changed;
    returns the roles changed. Never on one's own account; a staff member's needs assign_staff_roles,
    a superuser's a superuser."""
    from .roles import ASSIGN_PERMISSION, STAFF_ROLES

    grant, revoke = set(grant), set(revoke)
    for role in sorted(grant | revoke):
        if role not in ASSIGN_PERMISSION:
            raise RuleViolation(_("There is no role “%(role)s”.") % {"role": role}, field="roles")
        if not actor.has_perm(ASSIGN_PERMISSION[role]):
            raise RuleViolation(_("You may not give or take the role “%(role)s”.") % {"role": Role(role).label},
                                field="roles")
    if grant & revoke:
        raise RuleViolation(_("A role cannot be given and taken at once."), field="roles")
    if user.pk == actor.pk and not actor.is_superuser:
        raise RuleViolation(_("You cannot change your own roles. Ask another administrator."), field="roles")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)  # one change of a user's roles at a time
        if user.is_superuser and not actor.is_superuser:
            raise RuleViolation(_("Only a superuser may change a superuser's account."), field="roles")
        held = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if (user.is_staff or held & STAFF_ROLES) and not actor.has_perm("accounts.assign_staff_roles"):
            raise RuleViolation(_("Only a superuser, or someone trusted with staff roles, may change the roles of "
                                  "a staff member."), field="roles")
        if Role.PROVINCIAL_AUTHORITY in grant - held and not user.province:
            raise RuleViolation(_("Set the user's province before giving the role “%(role)s”.")
                                % {"role": Role.PROVINCIAL_AUTHORITY.label}, field="roles")
        granted, revoked = sorted(grant - held), sorted(revoke & held)
        is_staff = user.is_staff
        if STAFF_ROLES.intersection(granted):
            is_staff = True
        elif STAFF_ROLES.intersection(revoked) and not (held - revoke) & STAFF_ROLES and not user.is_superuser:
            is_staff = False
        # the admin access that follows is noted on the entry of the first staff role changed
        noted = next((r for r in granted + revoked if r in STAFF_ROLES), None) if is_staff != user.is_staff else None
        for role in granted:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            audit_log(actor=actor, action="user.role_granted", obj=user, ip_address=ip_address,
                      after={"role": role, **({"is_staff": True} if role == noted else {})})
        for role in revoked:
            user.groups.remove(Group.objects.get(name=role))
            audit_log(actor=actor, action="user.role_revoked", obj=user, ip_address=ip_address,
                      before={"role": role}, after={"is_staff": False} if role == noted else {})
        if is_staff != user.is_staff:
            User.objects.filter(pk=user.pk).update(is_staff=is_staff)
        # The side menu's roles, kept a minute per process: forgotten here at once (other processes: ≤ 1 min).
        transaction.on_commit(lambda: caches["local"].delete(f"menu-roles:{user.pk}"))
    return granted + revoked


def user_privileges_set(*, actor: User, user: User, is_superuser: bool, is_staff: bool, permissions,
                        ip_address: str | None = None) -> bool:
    """Superusers only: set superuser status, admin access and direct permissions, with one audit
    entry naming what changed; returns whether anything did. A superuser keeps their own status."""
    if not (actor.is_active and actor.is_superuser):
        raise PermissionDenied
    if user.pk == actor.pk and not is_superuser:
        raise RuleViolation(_("You cannot take your own superuser status away. Ask another superuser."),
                            field="is_superuser")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        wanted = {f"{p.content_type.app_label}.{p.codename}": p for p in permissions}
        held = {f"{p.content_type.app_label}.{p.codename}": p
                for p in user.user_permissions.select_related("content_type")}
        before, after = {}, {}
        for name, new in (("is_superuser", is_superuser), ("is_staff", is_staff)):
            if getattr(user, name) != new:
                before[name], after[name] = getattr(user, name), new
        if set(wanted) != set(held):
            before["permissions"], after["permissions"] = sorted(held), sorted(wanted)
        if not after:
            return False
        User.objects.filter(pk=user.pk).update(is_superuser=is_superuser, is_staff=is_staff)
        user.user_permissions.set(wanted.values())
        audit_log(actor=actor, action="user.privileges_changed", obj=user, before=before, after=after,
                  ip_address=ip_address)
    return True


# --------------------------------------------------------------------------- staff edits in admin

# What staff may change on a person's admin page; name and ID go through user_correct_identity,
# roles and access through user_roles_change / user_privileges_set.
STAFF_EDITABLE_FIELDS = ("username", "mobile", "email", "kind", "institution", "province", "is_active",
                         "identity_status")


def user_update_by_staff(*, actor: User, user: User, changes: dict) -> None:
    """Staff change a person's username, contact details, kind, province or active flag in admin:
    one audit entry with the values before and after; a changed mobile is no longer verified, and
    the e-mail table follows a changed address (one address per account, unverified)."""
    from allauth.account.models import EmailAddress

    unknown = set(changes) - set(STAFF_EDITABLE_FIELDS)
    if unknown:
        raise PermissionDenied(f"not editable in admin: {sorted(unknown)}")
    if not changes:
        return
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        before = {name: getattr(current, name) for name in changes}
        updates = dict(changes)
        if "mobile" in changes and changes["mobile"] != current.mobile:
            updates["mobile_verified_at"] = None
        for name, value in updates.items():
            setattr(current, name, value)
        current.save(update_fields=list(updates))
        if "email" in changes and changes["email"] != before["email"]:
            EmailAddress.objects.filter(user=current).delete()
            if changes["email"]:
                EmailAddress.objects.create(user=current, email=changes["email"], primary=True, verified=False)
        audit_log(actor=actor, action="user.changed_by_staff", obj=current, before=before, after=updates)
    for name, value in updates.items():
        setattr(user, name, value)
