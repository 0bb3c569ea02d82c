"""The sign-up wizard through its pages: agreement → notice → form → confirmation → SMS → done."""
import datetime

import pytest
import time_machine
from captcha.models import CaptchaStore
from django.core import mail
from django.urls import reverse

from accounts.demo import resident_id
from accounts.models import EducationRecord, User
from core.models import AuditEntry
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import VALID_ID, complete_signup, signup_form_data, walk_to_form, walk_to_verify

pytestmark = pytest.mark.django_db


def test_complete_signup_creates_verified_account_and_sends_email_confirmation(client, on_commit, sms_outbox):
    data = complete_signup(client, on_commit, sms_outbox)

    user = User.objects.get(username="zhangsan01")
    assert user.name == "张三" and user.mobile == "13712345678" and user.mobile_verified_at is not None
    assert user.id_number == VALID_ID and user.gender == "M" and user.birth_date == datetime.date(1995, 6, 18)
    assert user.check_password(data["password1"])
    assert user.agreement_accepted_at is not None
    assert EducationRecord.objects.filter(user=user, school="山东大学").count() == 1
    assert user.groups.filter(name="candidate").exists()
    assert AuditEntry.objects.filter(action="user.signup", object_id=str(user.pk)).exists()
    assert len(mail.outbox) == 1 and "zhangsan@example.org" in mail.outbox[0].to
    done = client.get(reverse("accounts:signup-done"))
    assert "zhangsan01" in done.content.decode()


def test_steps_cannot_be_skipped(client):
    assert client.get(reverse("accounts:signup-form")).url == reverse("accounts:signup-agreement")
    client.post(reverse("accounts:signup-agreement"), {"accept": "1"})
    assert client.get(reverse("accounts:signup-confirm")).url == reverse("accounts:signup-notice")
    client.post(reverse("accounts:signup-notice"))
    assert client.get(reverse("accounts:signup-verify")).url == reverse("accounts:signup-form")


def test_agreement_must_be_accepted(client):
    response = client.post(reverse("accounts:signup-agreement"), {})
    assert response.status_code == 200
    assert client.get(reverse("accounts:signup-notice")).status_code == 302


def _post_form(client, **overrides):
    walk_to_form(client)
    return client.post(reverse("accounts:signup-form"), signup_form_data(**overrides))


@pytest.mark.parametrize("number, expected", [
    (VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"), "check digit"),
    (VALID_ID[:-2], "18 characters"),
    (resident_id("370102", datetime.date(2099, 1, 1), 123), "future"),
    ("999999" + VALID_ID[6:17], None),
])
def test_bad_id_number_gets_message_next_to_the_field_and_keeps_the_other_fields(client, number, expected):
    if expected is None:  # unknown region: rebuild a valid check digit so only the region is wrong
        number = resident_id("999999", datetime.date(1995, 6, 18), 123)
    with _english(client):
        response = _post_form(client, id_number=number)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["id_number"]
    if expected:
        assert expected in errors["id_number"][0]
    html = response.content.decode()
    assert 'value="zhangsan01"' in html and 'value="13712345678"' in html
    assert not User.objects.exists()


class _english:
    def __init__(self, client):
        self.client = client

    def __enter__(self):
        self.client.cookies["django_language"] = "en"

    def __exit__(self, *exc):
        del self.client.cookies["django_language"]


def test_form_errors_are_shown_in_chinese_by_default(client):
    response = _post_form(client, id_number=VALID_ID[:-2])
    assert response.context["form"].errors["id_number"] == ["证件号码应为18位。"]
    assert "证件号码应为18位。" in response.content.decode()


def test_duplicate_identity_mobile_email_username_are_refused_by_field(client):
    existing = UserFactory(username="taken01", mobile="13600000000", email="taken@example.org", identity=VALID_ID)
    assert existing.pk
    for field, value in [("id_number", VALID_ID), ("mobile", "13600000000"), ("email", "TAKEN@example.org"),
                         ("username", "TAKEN01")]:
        overrides = {"id_number": resident_id("370102", datetime.date(1996, 1, 1), 222)}
        overrides[field] = value
        response = _post_form(client, **overrides)
        assert response.status_code == 200
        assert list(response.context["form"].errors) == [field], field
    assert User.objects.count() == 1


def test_wrong_captcha_is_refused_and_right_one_accepted(client):
    walk_to_form(client)
    key = CaptchaStore.generate_key()
    answer = CaptchaStore.objects.get(hashkey=key).response
    response = client.post(reverse("accounts:signup-form"), signup_form_data(captcha_0=key, captcha_1="zzzz"))
    assert list(response.context["form"].errors) == ["captcha"]
    key = CaptchaStore.generate_key()
    answer = CaptchaStore.objects.get(hashkey=key).response
    response = client.post(reverse("accounts:signup-form"), signup_form_data(captcha_0=key, captcha_1=answer))
    assert response.status_code == 302


def test_passport_holder_must_give_gender_and_birth_date(client):
    response = _post_form(client, id_type="passport", id_number="E12345678")
    assert set(response.context["form"].errors) == {"gender", "birth_date"}
    response = client.post(reverse("accounts:signup-form"), signup_form_data(
        id_type="passport", id_number="E12345678", gender="F", birth_date="1990-02-03"))
    assert response.status_code == 302


def test_resident_id_derives_gender_ignoring_what_was_posted(client, on_commit, sms_outbox):
    complete_signup(client, on_commit, sms_outbox, gender="F", birth_date="2000-01-01")
    user = User.objects.get()
    assert (user.gender, user.birth_date) == ("M", datetime.date(1995, 6, 18))


def test_tampered_id_type_is_an_error_not_a_crash(client):
    response = _post_form(client, id_type="driving_licence")
    assert "id_type" in response.context["form"].errors


def test_rare_character_name_is_accepted_and_shown(client, on_commit, sms_outbox):
    data = complete_signup(client, on_commit, sms_outbox, name="王晓[沛]")
    client.post(reverse("account_login"), {"login": data["username"], "password": data["password1"],
                                           "captcha_0": "x", "captcha_1": "PASSED", "entry": "individual"})
    assert "王晓[沛]" in client.get(reverse("accounts:profile")).content.decode()


def test_second_confirmation_mismatch_stops_with_message_next_to_each_field(client):
    walk_to_form(client)
    client.post(reverse("accounts:signup-form"), signup_form_data())
    response = client.post(reverse("accounts:signup-confirm"), {
        "name": "张山", "id_type": "resident_id", "id_number": resident_id("370102", datetime.date(1995, 6, 18), 125)})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "id_number"}
    assert client.get(reverse("accounts:signup-verify")).url == reverse("accounts:signup-confirm")


def test_wrong_or_expired_sms_code_creates_no_account(client, on_commit, sms_outbox):
    data = walk_to_verify(client)
    with on_commit():
        client.post(reverse("accounts:signup-verify"), {"action": "send"})
    code = sms_outbox.last_code(data["mobile"])
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("accounts:signup-verify"), {"action": "verify", "code": wrong})
    assert "code" in response.context["form"].errors
    with time_machine.travel(datetime.timedelta(minutes=3)):
        response = client.post(reverse("accounts:signup-verify"), {"action": "verify", "code": code})
        assert "code" in response.context["form"].errors
    assert not User.objects.exists()


def test_resend_too_soon_is_refused(client, on_commit, sms_outbox):
    data = walk_to_verify(client)
    with on_commit():
        client.post(reverse("accounts:signup-verify"), {"action": "send"})
        client.post(reverse("accounts:signup-verify"), {"action": "send"})
    assert len(sms_outbox.texts(data["mobile"])) == 1


def test_identity_taken_meanwhile_sends_back_to_the_form_without_a_half_account(client, on_commit, sms_outbox):
    data = walk_to_verify(client)
    with on_commit():
        client.post(reverse("accounts:signup-verify"), {"action": "send"})
    code = sms_outbox.last_code(data["mobile"])
    UserFactory(username="quicker", identity=VALID_ID)
    response = client.post(reverse("accounts:signup-verify"), {"action": "verify", "code": code})
    assert response.url == reverse("accounts:signup-form")
    assert list(User.objects.values_list("username", flat=True)) == ["quicker"]


def test_email_verification_link_from_sign_up_marks_the_address_verified(client, on_commit, sms_outbox):
    import re

    from allauth.account.models import EmailAddress

    complete_signup(client, on_commit, sms_outbox)
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[0].body).group(1)
    client.post(link)
    assert EmailAddress.objects.get(email="zhangsan@example.org").verified
