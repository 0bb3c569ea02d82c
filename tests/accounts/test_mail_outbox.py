"""The demo's outbox shows e-mails as it shows texts (issue 14 item 15): a visitor of `make run`
reads the reset link there and follows it; outside DEBUG the page does not exist."""
import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import OutboxEmail
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
CAPTCHA = {"captcha_0": "k", "captcha_1": "PASSED"}


@pytest.fixture
def demo_mail(settings):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "accounts.mail.OutboxBackend"
    settings.LANGUAGE_CODE = "en"
    return settings


def test_a_reset_link_is_read_in_the_outbox_page_and_works(client, demo_mail):
    user = UserFactory(username="wang01", email="wang@example.org")
    response = client.post(reverse("account_reset_password"), {"email": "wang@example.org", **CAPTCHA}, follow=True)
    assert b"Open the outbox" in response.content
    assert not mail.outbox  # kept in the outbox table, not Django's test box
    page = client.get(reverse("accounts:outbox"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "wang@example.org" in text
    body = OutboxEmail.objects.get(to=user.email).body
    url = next(line for line in body.splitlines() if "/accounts/password/reset/key/" in line).strip()
    assert f'href="{url}"' in text  # a link the visitor can click
    response = client.get(url[url.index("/accounts/"):], follow=True)
    assert response.status_code == 200 and "password1" in response.context["form"].fields


def test_texts_and_e_mails_share_the_outbox_page(client, demo_mail):
    from accounts.models import SmsMessage

    SmsMessage.objects.create(mobile="13800000001", text="验证码 123456")
    OutboxEmail.objects.create(to="a@example.org", subject="Your code", body="Code: 654321")
    text = client.get(reverse("accounts:sms-outbox")).content.decode()
    assert "123456" in text and "654321" in text and "Your code" in text


def test_the_outbox_page_exists_only_in_debug(client, settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "accounts.mail.OutboxBackend"
    assert client.get(reverse("accounts:outbox")).status_code == 404


def test_the_local_settings_keep_e_mails_in_the_outbox_unless_a_mail_server_is_named():
    import subprocess
    import sys

    code = ("import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)")
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "accounts.mail.OutboxBackend"
    env["EMAIL_URL"] = "smtp://mail.example.org:25"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"
