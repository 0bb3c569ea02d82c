"""证书查询 (SPEC G10; ANCHORS "Certificates anyone can verify"): anyone, without logging in, checks a
certificate by number and check code or by its link, and sees its status in words — a revoked or
expired one as such with its date, never "not found" — and nothing more than the page should show."""
import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from certification import services, verify_views
from certification.models import Certificate
from tests.certification.factories import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    w = world()
    w.applicant.set_id_number("110101199003074514")
    w.applicant.mobile = "13912345678"
    w.applicant.save()
    return w


def certificate_of(w, *, days_left=400, number="QMS-2024-00000125", code="K7M2Q9XA") -> Certificate:
    today = timezone.localdate()
    return Certificate.objects.create(number=number, holder=w.applicant, track=w.track, institution=w.body,
                                      issued_on=today - datetime.timedelta(days=700),
                                      valid_until=today + datetime.timedelta(days=days_left), verification_code=code)


def by_token(certificate, **headers):
    with translation.override("en"):
        return Client().get(reverse("verify:token", args=[certificate.token]), HTTP_ACCEPT_LANGUAGE="en", **headers)


def by_number(number, code, client=None):
    with translation.override("en"):
        return (client or Client()).post(reverse("verify:verify"), {"number": number, "code": code},
                                         HTTP_ACCEPT_LANGUAGE="en")


def result(response) -> dict:
    view = response.context["result"]
    with translation.override("en"):  # the page was asked for in English
        return {"status": view.status, "words": view.status_words, "holder": view.holder} if view else {}


def test_a_valid_certificate_by_its_link_shows_what_a_verifier_needs_and_nothing_more(w):
    certificate = certificate_of(w)
    response = by_token(certificate)
    page = response.content.decode()
    assert response.status_code == 200
    assert result(response) == {"status": "valid", "words": "Valid", "holder": "李**"}
    for shown in (certificate.number, "质量管理体系", "审核员", "济南示例认证有限公司",
                  certificate.valid_until.strftime("%Y-%m-%d"), certificate.issued_on.strftime("%Y-%m-%d")):
        assert shown in page
    for hidden in ("李审核", "110101199003074514", "1101", "13912345678", certificate.verification_code,
                   w.applicant.email, w.applicant.username):
        assert hidden not in page
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "same-origin"


def test_by_number_and_check_code_without_logging_in(w):
    certificate = certificate_of(w)
    response = by_number(" qms-2024-00000125 ", "k7m2 q9xa")  # spaces and case as people type them
    assert response.status_code == 200 and result(response)["status"] == "valid"
    assert 'data-testid="verify-not-found"' not in response.content.decode()
    assert certificate.number in response.content.decode()


def test_a_wrong_number_or_code_says_not_found_without_telling_which(w):
    certificate_of(w)
    wrong_code = by_number("QMS-2024-00000125", "AAAAAAAA")
    wrong_number = by_number("QMS-2024-00000133", "K7M2Q9XA")
    for response in (wrong_code, wrong_number):
        assert response.status_code == 200 and response.context["result"] is None
        assert 'data-testid="verify-not-found"' in response.content.decode()
    strip = lambda r: r.content.decode().replace("QMS-2024-00000133", "").replace("QMS-2024-00000125", "")
    assert strip(wrong_code).split('data-testid="verify-not-found"')[1][:300] == \
        strip(wrong_number).split('data-testid="verify-not-found"')[1][:300]
    unknown = Client().get(reverse("verify:token", args=["no-such-token"]))
    assert unknown.status_code == 404 and 'data-testid="verify-not-found"' in unknown.content.decode()


def test_an_expired_certificate_is_shown_as_expired_with_its_date(w):
    certificate = certificate_of(w, days_left=-10)
    response = by_token(certificate)
    assert response.status_code == 200 and result(response)["status"] == "expired"
    page = response.content.decode()
    assert "Expired" in page and f"valid until {certificate.valid_until:%Y-%m-%d}" in page
    with translation.override("zh-hans"):
        chinese = Client().get(reverse("verify:token", args=[certificate.token]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "已过期" in chinese.content.decode()


def test_a_revoked_certificate_is_shown_as_revoked_with_the_date_never_as_not_found(w):
    certificate = certificate_of(w)
    services.certificate_set_status(certificate=certificate, actor=w.staff, action="revoke",
                                    reason="违反认证人员行为准则，住址 济南市某路 1 号")
    for response in (by_token(certificate), by_number(certificate.number, certificate.verification_code)):
        assert response.status_code == 200 and result(response)["status"] == "revoked"
        page = response.content.decode()
        assert f"revoked on {timezone.localdate():%Y-%m-%d}" in page and "no longer valid" in page
        assert 'data-testid="verify-not-found"' not in page
        assert "济南市某路" not in page  # the reason stays with staff
    assert 'data-status="revoked"' in page


def test_a_suspended_certificate_says_so(w):
    certificate = certificate_of(w)
    services.certificate_set_status(certificate=certificate, actor=w.staff, action="suspend", reason="核查中")
    response = by_token(certificate)
    assert result(response)["status"] == "suspended" and "suspended on" in response.content.decode()


def test_machines_get_json_and_a_revoked_certificate_answers_410(w):
    certificate = certificate_of(w)
    valid = by_token(certificate, HTTP_ACCEPT="application/json")
    assert valid.status_code == 200 and valid["Content-Type"] == "application/json"
    body = json.loads(valid.content)
    assert body["status"] == "valid" and body["revoked"] is False and body["holder"] == "李**"
    assert "id_number" not in body and "李审核" not in valid.content.decode("unicode_escape")
    services.certificate_set_status(certificate=certificate, actor=w.staff, action="revoke", reason="撤销")
    revoked = by_token(certificate, HTTP_ACCEPT="application/json")
    assert revoked.status_code == 410 and json.loads(revoked.content)["revoked"] is True
    missing = Client().get(reverse("verify:token", args=["nope"]), HTTP_ACCEPT="application/json")
    assert missing.status_code == 404 and json.loads(missing.content) == {"status": "not_found"}


def test_lookups_are_rate_limited_per_address(w, monkeypatch):
    monkeypatch.setattr(verify_views, "VERIFY_LIMIT", 3)
    certificate = certificate_of(w)
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert by_number("QMS-2024-00000125", "WRONG123", client).status_code == 200
    refused = by_number(certificate.number, certificate.verification_code, client)  # right, but too many
    assert refused.status_code == 429 and refused["Retry-After"]
    page = refused.content.decode()
    assert 'data-testid="verify-rate-limited"' in page and "Too many lookups" in page
    assert certificate.number not in page.replace('value="QMS-2024-00000125"', "")
    with translation.override("en"):
        link = Client(REMOTE_ADDR="203.0.113.7").get(reverse("verify:token", args=[certificate.token]))
    assert link.status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert by_number(certificate.number, certificate.verification_code, other).status_code == 200


def test_the_form_says_what_is_missing_next_to_the_field():
    response = by_number("", "")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"number", "code"}
    assert Client().get(reverse("verify:verify")).status_code == 200
