"""Sign-up (SPEC A1) and profile maintenance (SPEC A7) services: one account per username, ID,
mobile and e-mail; the ID number encrypted at rest and only revealed, audited, to permitted staff."""
import datetime
import itertools
import json
import re
import threading

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts import selectors, services
from accounts.demo import resident_id
from accounts.exceptions import DuplicateAccount, RuleViolation, VerificationFailed
from accounts.identity import check_id_number
from accounts.models import (
    EducationLevel,
    EducationRecord,
    Gender,
    IdType,
    SmsMessage,
    User,
    VerificationCode,
)
from accounts.roles import Role
from core.models import AuditEntry
from tests.accounts.factories import EducationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Signup-Password-7"
BIRTH = datetime.date(1992, 5, 17)
# Jinan Lixia district; sequence 109 gives the check digit X.
ID_NUMBER = resident_id("370102", BIRTH, 109)
_serial = itertools.count(1)


def signup_data(**overrides) -> services.SignupData:
    n = next(_serial)
    values = {
        "username": f"candidate{n:03d}",
        "password_hash": make_password(PASSWORD),
        "name": "王晓[沛]",
        "id_type": IdType.RESIDENT_ID,
        "id_number": resident_id("370102", BIRTH, 200 + n),
        "gender": Gender.FEMALE,
        "birth_date": BIRTH,
        "email": f"candidate{n:03d}@example.org",
        "mobile": f"1360000{n:04d}",
        "education": {"level": EducationLevel.BACHELOR, "degree": "bachelor", "school": "山东大学",
                      "major": "质量管理工程", "graduated_on": datetime.date(2014, 7, 1)},
    }
    values.update(overrides)
    return services.SignupData(**values)


def row_counts() -> dict:
    return {"users": User.objects.count(), "education": EducationRecord.objects.count(),
            "emails": EmailAddress.objects.count(), "audit": AuditEntry.objects.count()}


def audit_entries(action, obj):
    return AuditEntry.objects.filter(action=action, object_id=str(obj.pk))


def mail_code(mailoutbox, address) -> str:
    for message in reversed(mailoutbox):
        if address in message.to:
            return re.search(r"(?<!\d)(\d{6})(?!\d)", message.body).group(1)
    raise AssertionError(f"no mail was sent to {address}")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --------------------------------------------------------------------------- sign-up


def test_signup_creates_the_account_with_education_email_and_candidate_role():
    data = signup_data(username="wangxiaopei", email="wxp@example.org", mobile="13600009999", id_number=ID_NUMBER)

    user = services.user_signup(data=data, ip_address="203.0.113.9")

    user = User.objects.get(pk=user.pk)
    assert (user.username, user.name, user.mobile, user.email) == ("wangxiaopei", "王晓[沛]", "13600009999",
                                                                   "wxp@example.org")
    assert (user.gender, user.birth_date, user.id_type) == (Gender.FEMALE, BIRTH, IdType.RESIDENT_ID)
    assert user.mobile_verified_at is not None
    assert user.check_password(PASSWORD)
    assert user.id_number == ID_NUMBER
    [record] = user.education_records.all()
    assert (record.school, record.major) == ("山东大学", "质量管理工程")
    [address] = EmailAddress.objects.filter(user=user)
    assert (address.email, address.primary, address.verified) == ("wxp@example.org", True, False)
    assert list(user.groups.values_list("name", flat=True)) == [Role.CANDIDATE]


def test_signup_audit_entry_masks_the_id_number_mobile_and_email():
    data = signup_data(id_number=ID_NUMBER, mobile="13600009999", email="wxp@example.org")

    user = services.user_signup(data=data, ip_address="203.0.113.9")

    [entry] = audit_entries("user.signup", user)
    assert entry.actor == user
    assert entry.ip_address == "203.0.113.9"
    assert entry.after["id_number"] == ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
    recorded = json.dumps([entry.before, entry.after, entry.object_repr], ensure_ascii=False)
    assert ID_NUMBER not in recorded
    assert ID_NUMBER[6:14] not in recorded  # not even the birth date part
    assert "13600009999" not in recorded
    assert "wxp@example.org" not in recorded


def test_id_number_is_encrypted_at_rest_and_found_by_identity():
    user = services.user_signup(data=signup_data(id_number=ID_NUMBER.lower()))

    stored_encrypted, stored_hash = User.objects.filter(pk=user.pk).values_list(
        "id_number_encrypted", "id_number_hash").get()
    assert ID_NUMBER not in stored_encrypted
    assert ID_NUMBER.lower() not in stored_encrypted
    assert ID_NUMBER not in stored_hash
    assert User.objects.get(pk=user.pk).id_number == ID_NUMBER  # normalised: upper-case X

    found = selectors.user_by_identity(id_type=IdType.RESIDENT_ID, id_number=" " + ID_NUMBER.lower(), name="王晓[沛] ")
    assert found == user
    assert selectors.user_by_identity(id_type=IdType.RESIDENT_ID, id_number=ID_NUMBER, name="王晓沛") is None
    assert selectors.user_by_identity(id_type=IdType.PASSPORT, id_number=ID_NUMBER, name="王晓[沛]") is None


@pytest.mark.parametrize(
    ("field", "existing", "attempt"),
    [
        ("username", {"username": "WangXiaoPei"}, {"username": "wangxiaopei"}),
        ("id_number", {"id_number": ID_NUMBER}, {"id_number": ID_NUMBER.lower()}),
        ("mobile", {"mobile": "13600009999"}, {"mobile": "13600009999"}),
        ("email", {"email": "Wang.XP@Example.org"}, {"email": "wang.xp@example.org"}),
    ],
)
def test_duplicate_signup_names_the_field_and_creates_nothing(field, existing, attempt):
    services.user_signup(data=signup_data(**existing))
    before = row_counts()

    with pytest.raises(DuplicateAccount) as info:
        services.user_signup(data=signup_data(**attempt))

    assert info.value.field == field
    assert row_counts() == before


def test_same_number_under_another_id_type_is_another_identity():
    services.user_signup(data=signup_data(id_type=IdType.PASSPORT, id_number="E12345678"))

    user = services.user_signup(data=signup_data(id_type=IdType.HK_MACAO_PERMIT, id_number="E12345678"))

    assert user.pk is not None


def test_same_resident_id_typed_in_full_width_digits_cannot_open_a_second_account():
    services.user_signup(data=signup_data(id_number=ID_NUMBER))
    typed = ID_NUMBER.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    number = check_id_number(IdType.RESIDENT_ID, typed).number  # what the sign-up form hands to the service

    with pytest.raises(DuplicateAccount):
        services.user_signup(data=signup_data(id_number=number))


def _username_variants(base: str, count: int) -> list[str]:
    return [base[:i] + base[i].upper() + base[i + 1:] for i in range(count)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shared", ["id_number", "username", "mobile", "email"])
def test_simultaneous_signups_with_the_same_identity_create_one_account(shared):
    """Eight browsers submit at once; the database constraint decides, the losers get a clear message."""
    count = 8
    same = {
        "id_number": ID_NUMBER,
        "username": _username_variants("samecandidate", count),
        "mobile": "13611112222",
        "email": [f"{local}@example.org" for local in _username_variants("samecandidate", count)],
    }[shared]
    datas = []
    for i in range(count):
        value = same[i] if isinstance(same, list) else same
        datas.append(signup_data(**{shared: value}))
    barrier = threading.Barrier(count)
    outcomes = []

    def sign_up(data):
        try:
            barrier.wait()
            services.user_signup(data=data)
            outcomes.append("created")
        except DuplicateAccount as exc:
            outcomes.append(f"duplicate {exc.field}")
        except Exception as exc:  # noqa: BLE001 - an IntegrityError or anything else fails the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(data,)) for data in datas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created"] + [f"duplicate {shared}"] * (count - 1)
    [user] = User.objects.filter(username__in=[d.username for d in datas])
    assert EducationRecord.objects.count() == 1
    assert EmailAddress.objects.count() == 1
    assert AuditEntry.objects.filter(action="user.signup").count() == 1
    assert user.groups.filter(name=Role.CANDIDATE).exists()


# --------------------------------------------------------------------------- mobile change


@pytest.fixture
def member():
    user = UserFactory(mobile="13900000001", email="member@example.org")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


def test_mobile_change_sends_a_code_to_the_new_number_and_binds_it(member, on_commit, sms_outbox):
    with on_commit():
        services.mobile_change_request(user=member, new_mobile="13700000002")
    assert sms_outbox.texts("13900000001") == []

    services.mobile_change_confirm(user=member, new_mobile="13700000002", code=sms_outbox.last_code("13700000002"),
                                   ip_address="203.0.113.9")

    member.refresh_from_db()
    assert member.mobile == "13700000002"
    assert selectors.user_by_login("13700000002") == member
    assert selectors.user_by_login("13900000001") is None
    [entry] = audit_entries("user.mobile_changed", member)
    assert entry.before == {"mobile": "139****0001"}
    assert entry.after == {"mobile": "137****0002"}


def test_mobile_change_with_a_wrong_code_keeps_the_old_number(member, on_commit, sms_outbox):
    with on_commit():
        services.mobile_change_request(user=member, new_mobile="13700000002")

    with pytest.raises(VerificationFailed):
        services.mobile_change_confirm(user=member, new_mobile="13700000002",
                                       code=wrong(sms_outbox.last_code("13700000002")))

    assert User.objects.get(pk=member.pk).mobile == "13900000001"
    assert not audit_entries("user.mobile_changed", member).exists()


def test_mobile_change_code_is_bound_to_the_number_it_was_sent_to(member, on_commit, sms_outbox):
    with on_commit():
        services.mobile_change_request(user=member, new_mobile="13700000002")

    with pytest.raises(VerificationFailed):
        services.mobile_change_confirm(user=member, new_mobile="13700000003", code=sms_outbox.last_code("13700000002"))
    assert User.objects.get(pk=member.pk).mobile == "13900000001"


def test_mobile_change_to_a_number_of_another_account_is_refused_without_a_code(member, on_commit):
    UserFactory(mobile="13700000002")

    with on_commit(), pytest.raises(DuplicateAccount) as info:
        services.mobile_change_request(user=member, new_mobile="13700000002")

    assert info.value.field == "mobile"
    assert not SmsMessage.objects.exists()
    assert not VerificationCode.objects.exists()


def test_mobile_change_to_the_same_number_is_refused(member):
    with pytest.raises(RuleViolation):
        services.mobile_change_request(user=member, new_mobile="13900000001")


def test_mobile_taken_by_someone_else_before_confirming_is_reported_as_duplicate(member, on_commit, sms_outbox):
    with on_commit():
        services.mobile_change_request(user=member, new_mobile="13700000002")
    UserFactory(mobile="13700000002")

    with pytest.raises(DuplicateAccount) as info:
        services.mobile_change_confirm(user=member, new_mobile="13700000002", code=sms_outbox.last_code("13700000002"))

    assert info.value.field == "mobile"
    assert User.objects.get(pk=member.pk).mobile == "13900000001"


# --------------------------------------------------------------------------- e-mail change


def test_email_change_sends_codes_to_both_addresses_and_switches_after_both(member, on_commit, mailoutbox):
    with on_commit():
        services.email_change_request(user=member, new_email="new.member@example.org")
    assert sorted(m.to[0] for m in mailoutbox) == ["member@example.org", "new.member@example.org"]

    services.email_change_confirm(user=member, new_email="new.member@example.org",
                                  old_code=mail_code(mailoutbox, "member@example.org"),
                                  new_code=mail_code(mailoutbox, "new.member@example.org"))

    member.refresh_from_db()
    assert member.email == "new.member@example.org"
    [address] = EmailAddress.objects.filter(user=member)
    assert (address.email, address.primary, address.verified) == ("new.member@example.org", True, True)
    [entry] = audit_entries("user.email_changed", member)
    assert "member@example.org" not in json.dumps([entry.before, entry.after])


def test_email_change_with_a_wrong_old_code_reports_old_code(member, on_commit, mailoutbox):
    with on_commit():
        services.email_change_request(user=member, new_email="new.member@example.org")

    with pytest.raises(VerificationFailed) as info:
        services.email_change_confirm(user=member, new_email="new.member@example.org",
                                      old_code=wrong(mail_code(mailoutbox, "member@example.org")),
                                      new_code=mail_code(mailoutbox, "new.member@example.org"))

    assert info.value.field == "old_code"
    assert User.objects.get(pk=member.pk).email == "member@example.org"
    assert EmailAddress.objects.get(user=member).email == "member@example.org"


def test_email_change_with_a_wrong_new_code_reports_new_code(member, on_commit, mailoutbox):
    with on_commit():
        services.email_change_request(user=member, new_email="new.member@example.org")

    with pytest.raises(VerificationFailed) as info:
        services.email_change_confirm(user=member, new_email="new.member@example.org",
                                      old_code=mail_code(mailoutbox, "member@example.org"),
                                      new_code=wrong(mail_code(mailoutbox, "new.member@example.org")))

    assert info.value.field == "new_code"
    assert User.objects.get(pk=member.pk).email == "member@example.org"


def test_email_change_codes_cannot_be_swapped(member, on_commit, mailoutbox):
    with on_commit():
        services.email_change_request(user=member, new_email="new.member@example.org")
    old_code = mail_code(mailoutbox, "member@example.org")
    new_code = mail_code(mailoutbox, "new.member@example.org")
    if old_code == new_code:  # one chance in a million
        pytest.skip("both codes happen to be equal")

    with pytest.raises(VerificationFailed) as info:
        services.email_change_confirm(user=member, new_email="new.member@example.org", old_code=new_code,
                                      new_code=old_code)
    assert info.value.field == "old_code"
    assert User.objects.get(pk=member.pk).email == "member@example.org"


def test_email_change_can_be_retried_after_a_mistyped_new_code(member, on_commit, mailoutbox):
    with on_commit():
        services.email_change_request(user=member, new_email="new.member@example.org")
    old_code = mail_code(mailoutbox, "member@example.org")
    new_code = mail_code(mailoutbox, "new.member@example.org")
    with pytest.raises(VerificationFailed):  # the message says: wrong code, 4 tries left
        services.email_change_confirm(user=member, new_email="new.member@example.org", old_code=old_code,
                                      new_code=wrong(new_code))

    services.email_change_confirm(user=member, new_email="new.member@example.org", old_code=old_code,
                                  new_code=new_code)

    assert User.objects.get(pk=member.pk).email == "new.member@example.org"


def test_email_change_to_an_address_of_another_account_is_refused_without_codes(member, mailoutbox):
    UserFactory(email="taken@example.org")

    with pytest.raises(DuplicateAccount) as info:
        services.email_change_request(user=member, new_email=" Taken@Example.org ")

    assert info.value.field == "email"
    assert mailoutbox == []
    assert not VerificationCode.objects.exists()


def test_email_change_to_the_same_address_is_refused(member):
    with pytest.raises(RuleViolation):
        services.email_change_request(user=member, new_email="MEMBER@example.org")


# --------------------------------------------------------------------------- education records


def test_the_last_education_record_cannot_be_deleted():
    record = EducationFactory()

    with pytest.raises(RuleViolation):
        services.education_record_delete(user=record.user, record=record)

    assert EducationRecord.objects.filter(pk=record.pk).exists()
    assert not AuditEntry.objects.filter(action="education.deleted").exists()


def test_an_education_record_is_deleted_while_another_remains():
    first = EducationFactory()
    second = EducationFactory(user=first.user, level=EducationLevel.MASTER)

    second_pk = second.pk

    services.education_record_delete(user=first.user, record=second)

    assert list(first.user.education_records.all()) == [first]
    [entry] = AuditEntry.objects.filter(action="education.deleted", object_id=str(second_pk))
    assert entry.before["level"] == EducationLevel.MASTER


def test_someone_elses_education_record_cannot_be_deleted():
    mine = EducationFactory()
    theirs = EducationFactory()
    EducationFactory(user=theirs.user)

    with pytest.raises(PermissionDenied):
        services.education_record_delete(user=mine.user, record=theirs)
    assert EducationRecord.objects.filter(pk=theirs.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_deleting_both_records_at_once_keeps_one(monkeypatch):
    first = EducationFactory()
    second = EducationFactory(user=first.user)
    start = threading.Barrier(2)
    # Hold each delete just after its check for up to a second, so that both run their checks
    # before either commits when nothing serialises them (without it, the race is luck).
    after_check = threading.Barrier(2, timeout=1)
    audit_log = services.audit_log

    def audit_log_after_the_other_checked(**kwargs):
        if kwargs.get("action") == "education.deleted":
            try:
                after_check.wait()
            except threading.BrokenBarrierError:
                pass  # the other delete is waiting for our lock: the intended serialisation
        return audit_log(**kwargs)

    monkeypatch.setattr(services, "audit_log", audit_log_after_the_other_checked)
    outcomes = []

    def delete(record):
        try:
            start.wait()
            services.education_record_delete(user=record.user, record=record)
            outcomes.append("deleted")
        except RuleViolation:
            outcomes.append("refused")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=delete, args=(record,)) for record in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["deleted", "refused"]
    assert EducationRecord.objects.filter(user=first.user).count() == 1


# --------------------------------------------------------------------------- revealing the full ID number


def test_staff_without_the_permission_cannot_reveal_an_id_number():
    candidate = UserFactory()
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name=Role.ASSOCIATION_STAFF))

    for viewer in (staff, candidate):
        with pytest.raises(PermissionDenied):
            services.user_reveal_id_number(viewer=User.objects.get(pk=viewer.pk), user=candidate)

    assert not AuditEntry.objects.filter(action="user.id_number_revealed").exists()


def test_permitted_staff_see_the_full_number_and_every_reveal_is_audited():
    candidate = UserFactory()
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_full_id_number",
                                                      content_type__app_label="accounts"))
    staff = User.objects.get(pk=staff.pk)  # a fresh object: permissions are cached per instance

    first = services.user_reveal_id_number(viewer=staff, user=candidate, ip_address="203.0.113.9")
    second = services.user_reveal_id_number(viewer=staff, user=candidate, ip_address="203.0.113.9")

    assert first == second == candidate.id_number
    entries = audit_entries("user.id_number_revealed", candidate)
    assert entries.count() == 2
    assert {(e.actor_id, e.ip_address) for e in entries} == {(staff.pk, "203.0.113.9")}
