"""Certificates (SPEC G10): the PDF's QR code opens the public verification page; the PDF is the
holder's and staff's only; reminders 90, 60 and 30 days before expiry, once each."""
import datetime
import subprocess
import tempfile
from pathlib import Path

import cv2
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certification import certificates, services
from certification.models import Application, Certificate, CertificateReminder
from core.models import Notification
from tests.accounts.factories import UserFactory
from tests.certification.factories import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def certificate_of(w, *, days_left: int, number="QMS-2024-00000125", **extra) -> Certificate:
    today = timezone.localdate()
    return Certificate.objects.create(number=number, holder=w.applicant, track=w.track, institution=w.body,
                                      issued_on=today - datetime.timedelta(days=900),
                                      valid_until=today + datetime.timedelta(days=days_left), **extra)


def decode_qr(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "c.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", "c.pdf", "page"], cwd=folder, check=True)
        image = cv2.imread(str(Path(folder, "page.png")))
    # Two of OpenCV's detectors: the classic one misses a few percent of valid codes on its own.
    return cv2.QRCodeDetectorAruco().detectAndDecode(image)[0] or cv2.QRCodeDetector().detectAndDecode(image)[0]


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_pdfs_qr_code_is_the_public_verification_link(w, settings):
    settings.SITE_URL = "https://exam.example.org"
    certificate = certificate_of(w, days_left=400)
    response = as_user(w.applicant).get(reverse("certification:certificate-pdf", args=[certificate.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    url = decode_qr(response.content)
    assert url == f"https://exam.example.org/verify/{certificate.token}/"
    page = Client().get(url.removeprefix("https://exam.example.org"))  # anyone, not logged in
    assert page.status_code == 200 and certificate.number in page.content.decode()


def test_without_site_url_the_qr_code_uses_the_requests_host(w, settings):
    settings.SITE_URL = ""
    certificate = certificate_of(w, days_left=400)
    response = as_user(w.applicant).get(reverse("certification:certificate-pdf", args=[certificate.pk]))
    assert decode_qr(response.content) == f"http://testserver/verify/{certificate.token}/"


def test_the_pdf_is_the_holders_and_staffs_only(w):
    certificate = certificate_of(w, days_left=400)
    url = reverse("certification:certificate-pdf", args=[certificate.pk])
    assert as_user(UserFactory(username="someone")).get(url).status_code == 404
    assert as_user(w.officer).get(url).status_code == 404
    assert as_user(w.staff).get(url).status_code == 200
    assert Client().get(url).status_code == 302  # to the login page


def test_holder_names_are_masked_to_the_surname():
    assert certificates.mask_name("李审核") == "李**"
    assert certificates.mask_name("李明") == "李*"
    assert certificates.mask_name("王晓[沛]") == "王**"
    assert certificates.mask_name("") == ""


def reminders_of(user):
    return list(Notification.objects.filter(recipient=user, kind="certification.expiring").order_by("pk"))


def test_reminders_at_90_60_and_30_days_once_each(w):
    assert settings.CERTIFICATION_REMINDER_DAYS == (90, 60, 30)
    certificate = certificate_of(w, days_left=120)
    until = certificate.valid_until

    def run(days_left):
        return certificates.certificates_remind_expiring(today=until - datetime.timedelta(days=days_left))

    assert run(91) == 0 and not reminders_of(w.applicant)
    assert run(90) == 1
    assert run(90) == 0 and run(75) == 0  # a second run sends nothing
    assert run(60) == 1 and run(45) == 0
    assert run(30) == 1 and run(1) == 0
    notices = reminders_of(w.applicant)
    assert len(notices) == 3
    assert certificate.number in notices[0].subject and str(until.year) in notices[0].subject
    assert set(CertificateReminder.objects.values_list("days_before", flat=True)) == {90, 60, 30}
    assert notices[0].url  # links to annual confirmation (or the message centre until that page exists)


def test_a_holder_first_seen_at_50_days_gets_one_reminder_not_two(w):
    certificate = certificate_of(w, days_left=50)
    assert certificates.certificates_remind_expiring() == 1
    assert CertificateReminder.objects.get().days_before == 60
    assert certificates.certificates_remind_expiring() == 0
    assert len(reminders_of(w.applicant)) == 1 and certificate.number in reminders_of(w.applicant)[0].body


def test_expired_suspended_and_revoked_certificates_get_no_reminder(w):
    certificate_of(w, days_left=-1, number="QMS-2024-00000010")
    suspended = certificate_of(w, days_left=20, number="QMS-2024-00000020")
    services.certificate_set_status(certificate=suspended, actor=w.staff, action="suspend", reason="暂停")
    assert certificates.certificates_remind_expiring() == 0


def test_a_renewed_certificate_is_reminded_again_before_its_new_expiry(w):
    certificate = certificate_of(w, days_left=30)
    assert certificates.certificates_remind_expiring() == 1
    Certificate.objects.filter(pk=certificate.pk).update(valid_until=certificate.valid_until.replace(
        year=certificate.valid_until.year + 3))
    later = certificate.valid_until.replace(year=certificate.valid_until.year + 3) - datetime.timedelta(days=30)
    assert certificates.certificates_remind_expiring(today=later) == 1


def test_no_reminder_while_an_annual_confirmation_is_on_its_way(w):
    certificate = certificate_of(w, days_left=40)
    app = services.application_create(applicant=w.applicant, kind="annual", certificate=certificate)
    services.application_submit(app=app, actor=w.applicant)
    assert Application.objects.get(pk=app.pk).status == "institution_review"
    assert certificates.certificates_remind_expiring() == 0


def test_the_reminder_job_is_a_scheduled_task():
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["certification-remind-expiring"]
    app.loader.import_default_modules()
    assert entry["task"] == "certification.remind_expiring" and entry["task"] in app.tasks


def test_the_task_sends_through_the_message_centre(w):
    from certification.tasks import remind_expiring

    certificate_of(w, days_left=10)
    assert remind_expiring.delay().get() == 1
    assert remind_expiring.delay().get() == 0
