"""Recovery: password by SMS, by security question, by e-mail; forgotten username."""
import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import FailureKind, IdType
from core.models import AuditEntry
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Brand-New-Pass-77"
CAPTCHA = {"captcha_0": "k", "captcha_1": "PASSED"}


@pytest.fixture
def user():
    return UserFactory(username="wang01", name="王晓[沛]", mobile="13788889999", email="wang@example.org")


def identity(user, **extra):
    return {"name": user.name, "id_type": IdType.RESIDENT_ID, "id_number": user.id_number, **CAPTCHA, **extra}


def test_password_reset_by_sms(client, user, on_commit, sms_outbox):
    with on_commit():
        response = client.post(reverse("accounts:recover-sms"), identity(user, mobile="13788889999"))
    assert response.url == reverse("accounts:recover-sms-reset")
    code = sms_outbox.last_code("13788889999")
    response = client.post(reverse("accounts:recover-sms-reset"),
                           {"code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.url == reverse("account_login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="user.password_set", object_id=str(user.pk), after__via="sms").exists()


def test_sms_reset_with_a_mobile_that_is_not_the_accounts_sends_nothing(client, user, on_commit, sms_outbox):
    with on_commit():
        response = client.post(reverse("accounts:recover-sms"), identity(user, mobile="13700000000"))
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert sms_outbox.texts("13700000000") == [] and sms_outbox.texts("13788889999") == []


def test_sms_reset_page_needs_the_identity_step_first(client):
    assert client.get(reverse("accounts:recover-sms-reset")).url == reverse("accounts:recover-sms")


def test_sms_reset_with_wrong_code_keeps_the_password(client, user, on_commit, sms_outbox):
    with on_commit():
        client.post(reverse("accounts:recover-sms"), identity(user, mobile="13788889999"))
    code = sms_outbox.last_code("13788889999")
    response = client.post(reverse("accounts:recover-sms-reset"), {
        "code": "999999" if code != "999999" else "111111", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert "code" in response.context["form"].errors
    user.refresh_from_db()
    assert not user.check_password(NEW_PASSWORD)


def test_password_reset_by_security_question(client, user):
    services.security_question_set(user=user, question="我的小学校名？", answer="Xin Hua")
    response = client.post(reverse("accounts:recover-question"), identity(user))
    assert response.url == reverse("accounts:recover-question-answer")
    page = client.get(response.url).content.decode()
    assert "我的小学校名？" in page
    response = client.post(reverse("accounts:recover-question-answer"),
                           {"answer": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert "answer" in response.context["form"].errors
    response = client.post(reverse("accounts:recover-question-answer"),
                           {"answer": " xin  hua ", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.url == reverse("account_login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_answers_from_a_throttled_address_need_a_picture_code_again(client, user, settings):
    """Issue 12.3: many wrong answers from one address (a campus NAT) no longer lock the question for
    everyone behind it; each answer from there needs a picture code instead."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    for other in UserFactory.create_batch(2):
        services.auth_record_failure(kind=FailureKind.SECURITY_ANSWER, user=other, identifier=other.username,
                                     ip="127.0.0.1")
    services.security_question_set(user=user, question="我的小学校名？", answer="Xin Hua")
    client.post(reverse("accounts:recover-question"), identity(user))
    answer = {"answer": "xin hua", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}

    response = client.post(reverse("accounts:recover-question-answer"), answer)

    assert "captcha" in response.context["form"].errors
    user.refresh_from_db()
    assert not user.check_password(NEW_PASSWORD)
    response = client.post(reverse("accounts:recover-question-answer"), {**answer, **CAPTCHA})
    assert response.url == reverse("account_login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_question_recovery_without_a_question_says_so(client, user):
    response = client.post(reverse("accounts:recover-question"), identity(user))
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_weak_new_password_is_refused(client, user):
    services.security_question_set(user=user, question="q?", answer="a")
    client.post(reverse("accounts:recover-question"), identity(user))
    response = client.post(reverse("accounts:recover-question-answer"),
                           {"answer": "a", "password1": "12345678", "password2": "12345678"})
    assert "password1" in response.context["form"].errors


def test_password_reset_by_email_link(client, user):
    response = client.post(reverse("account_reset_password"), {"email": "wang@example.org", **CAPTCHA})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/key/" in line)
    path = link[link.index("/accounts/"):].strip()
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="user.password_set", object_id=str(user.pk)).exists()


def test_email_reset_needs_the_picture_code(client, user):
    response = client.post(reverse("account_reset_password"), {"email": "wang@example.org"})
    assert "captcha" in response.context["form"].errors and not mail.outbox


def test_forgotten_username_is_shown_masked_and_texted_in_full(client, user, on_commit, sms_outbox):
    with on_commit():
        response = client.post(reverse("accounts:recover-username"), identity(user, mobile="13788889999"))
    page = response.content.decode()
    assert "w****1" in page or "wa**01" in page
    assert "wang01" not in page
    assert any("wang01" in text for text in sms_outbox.texts("13788889999"))


def test_forgotten_username_with_wrong_name_reveals_nothing(client, user):
    response = client.post(reverse("accounts:recover-username"),
                           {**identity(user, mobile="13788889999"), "name": "李四"})
    assert response.context["found"] is None and response.context["form"].non_field_errors()
