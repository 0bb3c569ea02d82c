"""Test helpers that walk the real sign-up pages with Django's test client."""
import datetime

from django.urls import reverse

from accounts.demo import resident_id

VALID_ID = resident_id("370102", datetime.date(1995, 6, 18), 123)  # 17th digit odd: male


def signup_form_data(**overrides):
    data = {
        "username": "zhangsan01",
        "password1": "Str0ng-Passw0rd!",
        "password2": "Str0ng-Passw0rd!",
        "name": "张三",
        "id_type": "resident_id",
        "id_number": VALID_ID,
        "email": "zhangsan@example.org",
        "mobile": "13712345678",
        "education_level": "bachelor",
        "degree": "bachelor",
        "school": "山东大学",
        "major": "质量管理工程",
        "graduated_on": "2017-07-01",
        "captcha_0": "test",
        "captcha_1": "PASSED",
    }
    data.update(overrides)
    return data


def walk_to_form(client):
    client.post(reverse("accounts:signup-agreement"), {"accept": "1"})
    client.post(reverse("accounts:signup-notice"))


def walk_to_verify(client, **overrides):
    walk_to_form(client)
    data = signup_form_data(**overrides)
    response = client.post(reverse("accounts:signup-form"), data)
    assert response.status_code == 302, response.context["form"].errors
    response = client.post(reverse("accounts:signup-confirm"), {
        "name": data["name"], "id_type": data["id_type"], "id_number": data["id_number"]})
    assert response.status_code == 302, response.context["form"].errors
    return data


def complete_signup(client, on_commit, sms_outbox, **overrides):
    data = walk_to_verify(client, **overrides)
    with on_commit():
        client.post(reverse("accounts:signup-verify"), {"action": "send"})
    code = sms_outbox.last_code(data["mobile"])
    with on_commit():
        response = client.post(reverse("accounts:signup-verify"), {"action": "verify", "code": code})
    assert response.status_code == 302 and response.url == reverse("accounts:signup-done")
    return data
