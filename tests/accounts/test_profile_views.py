"""Profile maintenance (注册维护): what a candidate sees and may change."""
import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import EducationRecord, Qualification
from core.masking import mask_id_number
from core.models import AuditEntry
from tests.accounts.factories import PASSWORD, EducationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(client):
    user = UserFactory(username="zhao01", mobile="13500000001", email="zhao@example.org")
    EducationFactory(user=user)
    client.force_login(user)
    return user


def test_profile_shows_masked_id_and_mobile_only(client, user):
    page = client.get(reverse("accounts:profile")).content.decode()
    assert mask_id_number(user.id_number) in page
    assert user.id_number not in page
    assert "135****0001" in page and "13500000001" not in page


def test_profile_pages_need_login(client):
    for name in ["accounts:profile", "accounts:mobile-change", "accounts:email-change", "accounts:education-add"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_change_mobile_with_code_sent_to_the_new_number(client, user, on_commit, sms_outbox):
    with on_commit():
        client.post(reverse("accounts:mobile-change"), {"mobile": "13500000002", "action": "send"})
    code = sms_outbox.last_code("13500000002")
    response = client.post(reverse("accounts:mobile-change"),
                           {"mobile": "13500000002", "code": code, "action": "confirm"})
    assert response.url == reverse("accounts:profile")
    user.refresh_from_db()
    assert user.mobile == "13500000002"
    assert AuditEntry.objects.filter(action="user.mobile_changed", object_id=str(user.pk)).exists()


def test_change_mobile_to_a_number_of_another_account_is_refused(client, user, sms_outbox):
    UserFactory(mobile="13500000009")
    response = client.post(reverse("accounts:mobile-change"), {"mobile": "13500000009", "action": "send"})
    assert "mobile" in response.context["form"].errors
    assert sms_outbox.texts("13500000009") == []


def test_change_mobile_with_a_wrong_code_changes_nothing(client, user, on_commit, sms_outbox):
    with on_commit():
        client.post(reverse("accounts:mobile-change"), {"mobile": "13500000002", "action": "send"})
    response = client.post(reverse("accounts:mobile-change"),
                           {"mobile": "13500000002", "code": "abcdef", "action": "confirm"})
    assert "code" in response.context["form"].errors
    user.refresh_from_db()
    assert user.mobile == "13500000001"


def test_change_password_needs_the_old_one(client, user):
    url = reverse("account_change_password")
    response = client.post(url, {"oldpassword": "wrong", "password1": "New-Pass-2026!", "password2": "New-Pass-2026!"})
    assert "oldpassword" in response.context["form"].errors
    response = client.post(url, {"oldpassword": PASSWORD, "password1": "New-Pass-2026!", "password2": "New-Pass-2026!"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("New-Pass-2026!")
    assert AuditEntry.objects.filter(action="user.password_set", object_id=str(user.pk)).exists()


def test_security_question_needs_the_password_and_stores_the_answer_hashed(client, user):
    url = reverse("accounts:security-question")
    response = client.post(url, {"question": "母亲的姓名？", "answer": "李梅", "password": "wrong"})
    assert "password" in response.context["form"].errors
    client.post(url, {"question": "母亲的姓名？", "answer": "李梅", "password": PASSWORD})
    user.refresh_from_db()
    assert user.security_question == "母亲的姓名？"
    assert user.security_answer_hash and "李梅" not in user.security_answer_hash


def _mailed_codes():
    return {m.to[0]: re.search(r"(?<!\d)(\d{6})(?!\d)", m.body).group(1) for m in mail.outbox}


def test_change_email_with_swapped_codes_changes_nothing(client, user, on_commit):
    with on_commit():
        response = client.post(reverse("accounts:email-change"), {"email": "zhao.new@example.org"})
    assert response.url == reverse("accounts:email-change-confirm")
    codes = _mailed_codes()
    assert set(codes) == {"zhao@example.org", "zhao.new@example.org"}
    response = client.post(reverse("accounts:email-change-confirm"), {
        "old_code": codes["zhao.new@example.org"], "new_code": codes["zhao@example.org"]})
    assert "old_code" in response.context["form"].errors
    user.refresh_from_db()
    assert user.email == "zhao@example.org"


def test_change_email_with_both_codes(client, user, on_commit):
    with on_commit():
        client.post(reverse("accounts:email-change"), {"email": "zhao.new@example.org"})
    codes = _mailed_codes()
    response = client.post(reverse("accounts:email-change-confirm"), {
        "old_code": codes["zhao@example.org"], "new_code": codes["zhao.new@example.org"]})
    assert response.url == reverse("accounts:profile")
    user.refresh_from_db()
    assert user.email == "zhao.new@example.org"
    assert AuditEntry.objects.filter(action="user.email_changed", object_id=str(user.pk)).exists()


def test_education_add_edit_and_the_last_one_cannot_be_deleted(client, user):
    only = user.education_records.get()
    client.post(reverse("accounts:education-delete", args=[only.pk]))
    assert EducationRecord.objects.filter(pk=only.pk).exists()
    response = client.post(reverse("accounts:education-add"), {
        "level": "master", "degree": "master", "school": "清华大学", "major": "管理科学", "graduated_on": "2015-07-01"})
    assert response.url == reverse("accounts:profile")
    client.post(reverse("accounts:education-delete", args=[only.pk]))
    assert list(user.education_records.values_list("school", flat=True)) == ["清华大学"]


def test_education_in_the_future_is_refused(client, user):
    future = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()
    response = client.post(reverse("accounts:education-add"), {
        "level": "master", "degree": "master", "school": "清华大学", "major": "管理", "graduated_on": future})
    assert "graduated_on" in response.context["form"].errors


def test_someone_elses_records_are_not_found(client, user):
    other = EducationFactory()
    other_q = Qualification.objects.create(user=other.user, name="注册会计师")
    assert client.get(reverse("accounts:education-edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("accounts:education-delete", args=[other.pk])).status_code == 404
    assert client.post(reverse("accounts:qualification-delete", args=[other_q.pk])).status_code == 404
    assert EducationRecord.objects.filter(pk=other.pk).exists()


def test_qualifications_add_and_delete(client, user):
    client.post(reverse("accounts:qualification-add"), {"name": "质量管理体系审核员", "certificate_number": "2021-N1QMS-1234"})
    qualification = Qualification.objects.get(user=user)
    assert "质量管理体系审核员" in client.get(reverse("accounts:profile")).content.decode()
    client.post(reverse("accounts:qualification-delete", args=[qualification.pk]))
    assert not Qualification.objects.filter(user=user).exists()


def test_name_and_id_cannot_be_changed_by_the_user(client, user):
    before = (user.name, user.id_number)
    for name in ["accounts:profile", "accounts:education-add"]:
        client.post(reverse(name), {"name": "改名", "id_number": "110101199001011234"})
    user.refresh_from_db()
    assert (user.name, user.id_number) == before
