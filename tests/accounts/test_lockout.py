"""Login lockout (SPEC A5): 5 failures within 15 minutes lock the account (or the login name that
names no account) for 15 minutes. An address is never locked: one campus NAT or our own reverse
proxy is many people. Above 50 failures in 15 minutes it is throttled instead (the login asks for a
picture code again). Security-question recovery (SPEC A6) counts wrong answers the same way."""
import datetime

import pytest
import time_machine

from accounts import services
from accounts.exceptions import AccountLocked, RuleViolation, VerificationFailed
from accounts.models import FailureKind, User
from core.models import AuditEntry
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
IP = "203.0.113.7"
OTHER_IP = "198.51.100.20"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def user():
    return UserFactory()


def failed_login(user, ip=IP, identifier=None):
    """What the login adapter does with a wrong password: refuse while locked, else count the failure."""
    identifier = identifier or (user.username if user else "nobody")
    services.auth_check_allowed(user=user, identifier=identifier, ip=ip)
    services.auth_record_failure(user=user, identifier=identifier, ip=ip)


def is_locked(user, ip=IP) -> bool:
    try:
        services.auth_check_allowed(user=user, ip=ip)
    except AccountLocked:
        return True
    return False


def lock_audits(user):
    return AuditEntry.objects.filter(action="user.locked.login", object_id=str(user.pk))


def test_four_failures_do_not_lock(clock, user):
    for _ in range(4):
        failed_login(user)
        clock.shift(datetime.timedelta(minutes=1))

    services.auth_check_allowed(user=user, ip=IP)
    assert not lock_audits(user).exists()


def test_fifth_failure_within_15_minutes_locks_the_account_for_15_minutes(clock, user):
    for _ in range(4):
        failed_login(user)
        clock.shift(datetime.timedelta(minutes=3))
    failed_login(user)  # 12 minutes after the first

    with pytest.raises(AccountLocked) as info:
        services.auth_check_allowed(user=user, ip=OTHER_IP)
    assert info.value.minutes == 15
    assert "15" in str(info.value)


def test_lock_counts_down_and_expires_after_15_minutes(clock, user):
    for _ in range(5):
        failed_login(user)

    clock.shift(datetime.timedelta(minutes=10))
    with pytest.raises(AccountLocked) as info:
        services.auth_check_allowed(user=user, ip=IP)
    assert info.value.minutes == 5

    clock.shift(datetime.timedelta(minutes=4, seconds=59))
    with pytest.raises(AccountLocked) as info:
        services.auth_check_allowed(user=user, ip=IP)
    assert info.value.minutes == 1

    clock.shift(datetime.timedelta(seconds=1))
    services.auth_check_allowed(user=user, ip=IP)


def test_attempts_while_locked_do_not_extend_the_lock(clock, user):
    for _ in range(5):
        failed_login(user)

    for minute in (1, 5, 10, 14):
        clock.move_to(START + datetime.timedelta(minutes=minute))
        with pytest.raises(AccountLocked):
            failed_login(user)

    clock.move_to(START + datetime.timedelta(minutes=15))
    services.auth_check_allowed(user=user, ip=IP)
    # A wrong password once the old failures are out of the window is not a new lock.
    clock.move_to(START + datetime.timedelta(minutes=16))
    failed_login(user)
    assert not is_locked(user, ip=OTHER_IP)


def test_failures_spread_over_more_than_15_minutes_do_not_lock(clock, user):
    for minute in (0, 4, 8, 12):
        clock.move_to(START + datetime.timedelta(minutes=minute))
        failed_login(user)
    clock.move_to(START + datetime.timedelta(minutes=15, seconds=1))
    failed_login(user)

    assert not is_locked(user)
    assert not lock_audits(user).exists()

    # One more soon after: five within the last 15 minutes (4 … 16) now lock.
    clock.move_to(START + datetime.timedelta(minutes=16))
    failed_login(user)
    assert is_locked(user)


def test_successful_login_clears_the_accounts_failures(clock, user):
    for _ in range(4):
        failed_login(user)

    services.auth_record_success(user=user)
    for _ in range(4):
        failed_login(user)

    assert not is_locked(user)


def test_failures_are_counted_per_account(clock, user):
    other = UserFactory()
    for _ in range(5):
        failed_login(user, ip=None)

    assert is_locked(user, ip=None)
    assert not is_locked(other, ip=None)


def test_failures_on_other_accounts_from_the_same_address_do_not_lock_an_account(clock, user):
    """Issue 12.3: five wrong passwords on any accounts behind one address used to refuse everybody
    else behind it, even with the right password."""
    victims = UserFactory.create_batch(3)
    for target in victims:
        failed_login(target)
    failed_login(None, identifier="no-such-user")
    failed_login(None, identifier="nobody@example.org")

    services.auth_check_allowed(user=user, ip=IP)
    for target in victims:
        services.auth_check_allowed(user=target, ip=IP)


def test_a_login_name_without_an_account_is_locked_like_an_account(clock, user):
    """Otherwise the lock message would tell which login names belong to an account."""
    for _ in range(5):
        failed_login(None, identifier="ghost01")

    with pytest.raises(AccountLocked) as info:
        services.auth_check_allowed(user=None, identifier=" GHOST01 ", ip=OTHER_IP)
    assert info.value.minutes == 15
    services.auth_check_allowed(user=None, identifier="ghost02", ip=IP)
    services.auth_check_allowed(user=user, identifier=user.username, ip=IP)


def test_account_lock_holds_from_every_address(clock, user):
    for n in range(5):
        failed_login(user, ip=f"192.0.2.{n + 1}")

    assert is_locked(user, ip="192.0.2.99")
    assert is_locked(user, ip=None)


def test_address_is_throttled_from_the_fiftieth_failure_within_15_minutes(clock, user):
    accounts = UserFactory.create_batch(10)
    for n in range(49):
        services.auth_record_failure(user=accounts[n % 10], identifier="x", ip=IP)
        clock.shift(datetime.timedelta(seconds=10))
    assert not services.auth_address_throttled(ip=IP)

    services.auth_record_failure(user=None, identifier="nobody", ip=IP)

    assert services.auth_address_throttled(ip=IP)
    assert not services.auth_address_throttled(ip=OTHER_IP)
    assert not services.auth_address_throttled(kind=FailureKind.SECURITY_ANSWER, ip=IP)
    # Throttled is not locked: the right password of another account from there is still tried.
    services.auth_check_allowed(user=user, ip=IP)
    # The first failures leave the 15-minute window one by one.
    clock.move_to(START + datetime.timedelta(minutes=15, seconds=1))
    assert not services.auth_address_throttled(ip=IP)


def test_address_throttle_limit_is_a_setting(clock, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for _ in range(2):
        services.auth_record_failure(user=None, identifier="a", ip=IP)
    assert not services.auth_address_throttled(ip=IP)
    services.auth_record_failure(user=None, identifier="b", ip=IP)
    assert services.auth_address_throttled(ip=IP)
    assert not services.auth_address_throttled(ip=None)


def test_lock_writes_one_audit_entry(clock, user):
    for _ in range(4):
        failed_login(user)
    assert not lock_audits(user).exists()

    failed_login(user)

    [entry] = lock_audits(user)
    assert entry.after == {"minutes": 15}
    assert entry.ip_address == IP
    assert entry.actor is None


def test_login_failures_and_wrong_security_answers_are_counted_apart(clock, user):
    for _ in range(5):
        services.auth_record_failure(kind=FailureKind.SECURITY_ANSWER, user=user, ip=None)

    services.auth_check_allowed(kind=FailureKind.LOGIN, user=user, ip=None)
    with pytest.raises(AccountLocked):
        services.auth_check_allowed(kind=FailureKind.SECURITY_ANSWER, user=user, ip=None)


# --------------------------------------------------------------------------- security question


@pytest.fixture
def with_question(user):
    services.security_question_set(user=user, question=" 我的小学校名？ ", answer="  Beijing Zhongguancun NO.1 ")
    user.refresh_from_db()
    return user


def test_security_answer_is_stored_hashed_and_audited_without_it(with_question):
    user = with_question

    assert user.security_question == "我的小学校名？"
    assert "zhongguancun" not in user.security_answer_hash.lower()
    [entry] = AuditEntry.objects.filter(action="user.security_question_set", object_id=str(user.pk))
    assert entry.after == {"question": "我的小学校名？"}
    assert "zhongguancun" not in str(entry.before).lower() + str(entry.after).lower()


@pytest.mark.parametrize("answer", [
    "beijingzhongguancunno.1",
    "BEIJING ZHONGGUANCUN NO.1",
    " beijing  zhong guancun No.1",
    "Beijing\u3000Zhongguancun NO.1",  # ideographic space from a Chinese input method
])
def test_security_answer_ignores_case_and_spaces(with_question, answer):
    services.recovery_question_finish(user=with_question, answer=answer, password="New-Password-99")

    assert User.objects.get(pk=with_question.pk).check_password("New-Password-99")
    assert AuditEntry.objects.filter(action="user.password_set", object_id=str(with_question.pk),
                                     after={"via": "security_question"}).exists()


def test_wrong_security_answer_keeps_the_password(with_question):
    with pytest.raises(VerificationFailed) as info:
        services.recovery_question_finish(user=with_question, answer="Shanghai No.1", password="New-Password-99")

    assert info.value.field == "answer"
    assert User.objects.get(pk=with_question.pk).check_password(PASSWORD)


def test_five_wrong_answers_lock_the_question_even_for_the_right_answer(clock, with_question):
    for _ in range(5):
        with pytest.raises(VerificationFailed):
            services.recovery_question_finish(user=with_question, answer="wrong", password="New-Password-99",
                                              ip_address=IP)

    with pytest.raises(AccountLocked) as info:
        services.recovery_question_finish(user=with_question, answer="Beijing Zhongguancun NO.1",
                                          password="New-Password-99", ip_address=OTHER_IP)
    assert info.value.minutes == 15
    assert User.objects.get(pk=with_question.pk).check_password(PASSWORD)
    assert AuditEntry.objects.filter(action="user.locked.security_answer", object_id=str(with_question.pk)).exists()

    clock.shift(datetime.timedelta(minutes=15))
    services.recovery_question_finish(user=with_question, answer="Beijing Zhongguancun NO.1",
                                      password="New-Password-99", ip_address=OTHER_IP)
    assert User.objects.get(pk=with_question.pk).check_password("New-Password-99")


def test_wrong_answers_for_other_accounts_from_the_same_address_do_not_lock_a_question(clock, with_question):
    others = UserFactory.create_batch(5)
    for other in others:
        services.security_question_set(user=other, question="我的小学校名？", answer="somewhere")
        with pytest.raises(VerificationFailed):
            services.recovery_question_finish(user=other, answer="wrong", password="New-Password-99", ip_address=IP)

    services.recovery_question_finish(user=with_question, answer="Beijing Zhongguancun NO.1",
                                      password="New-Password-99", ip_address=IP)
    assert User.objects.get(pk=with_question.pk).check_password("New-Password-99")


def test_right_answer_clears_earlier_wrong_answers(clock, with_question):
    for _ in range(4):
        with pytest.raises(VerificationFailed):
            services.recovery_question_finish(user=with_question, answer="wrong", password="x-Password-1")
    services.recovery_question_finish(user=with_question, answer="beijing zhongguancun no.1",
                                      password="New-Password-99")

    for _ in range(4):
        with pytest.raises(VerificationFailed):
            services.recovery_question_finish(user=with_question, answer="wrong", password="x-Password-1")
    services.auth_check_allowed(kind=FailureKind.SECURITY_ANSWER, user=with_question, ip=None)


def test_account_without_a_security_question_cannot_recover_by_question(user):
    with pytest.raises(RuleViolation):
        services.recovery_question_finish(user=user, answer="", password="New-Password-99")
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
