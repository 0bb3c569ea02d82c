"""Typed text in the enrollment wizard (issue 12.11): control characters, text-direction controls
and line breaks would reach invoices, admission tickets and rosters. They are refused next to the
field and nothing is saved; a multi-line reason keeps its line breaks."""
import pytest
from django.urls import reverse

from accounts.demo import credit_code
from registration.forms import ScoreReviewForm
from registration.models import Enrollment
from tests.registration.conftest import INFO

pytestmark = pytest.mark.django_db

ENTERPRISE_INVOICE = {**INFO, "invoice_wanted": "True", "invoice_type": "enterprise", "invoice_title": "某某认证有限公司",
                      "invoice_tax_number": credit_code("91370100MA3C5X7R2")}


def start(client, exam) -> Enrollment:
    assert client.post(reverse("registration:exam-notice", args=[exam.pk]), {"accept": "on"}).status_code == 302
    return Enrollment.objects.get(exam=exam)


def post_info(client, enrollment, data):
    return client.post(reverse("registration:enrollment-info", args=[enrollment.pk]), data)


@pytest.mark.parametrize(("title", "words"), [
    ("某某认证\x1b[2J有限公司", "控制字符"),
    ("某某\u202e司公限有证认", "文字方向"),
    ("某某认证\r\n有限公司", "换行"),
    ("某某认证\t有限公司", "控制字符"),
])
def test_invoice_title_with_control_characters_is_refused_next_to_the_field(logged_in, exam, title, words):
    enrollment = start(logged_in, exam)

    response = post_info(logged_in, enrollment, {**ENTERPRISE_INVOICE, "invoice_title": title})

    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors["invoice_title"])
    enrollment.refresh_from_db()
    assert enrollment.invoice_title == ""


@pytest.mark.parametrize("field", ["mailing_address", "employer", "residence_city"])
@pytest.mark.parametrize("text", ["济南市\x1b历下区", "济南市\u2067历下区\u2069", "济南市\n历下区", "济南市\x9b历下区"])
def test_address_employer_and_city_with_control_characters_are_refused(logged_in, exam, field, text):
    enrollment = start(logged_in, exam)

    response = post_info(logged_in, enrollment, {**INFO, field: text})

    assert response.status_code == 200 and set(response.context["form"].errors) == {field}
    enrollment.refresh_from_db()
    assert getattr(enrollment, field) == ""


def test_plain_enterprise_invoice_is_saved(logged_in, exam):
    enrollment = start(logged_in, exam)

    assert post_info(logged_in, enrollment, ENTERPRISE_INVOICE).status_code == 302

    enrollment.refresh_from_db()
    assert enrollment.invoice_title == "某某认证有限公司"


def test_score_review_reason_keeps_line_breaks_but_not_other_control_characters(candidate):
    reason = "第一题评分有误。\r\n第二题\t漏判。"
    form = ScoreReviewForm({"reason": reason, "ticket_number": "1"}, user=candidate)
    form.is_valid()
    assert "reason" not in form.errors

    form = ScoreReviewForm({"reason": "第一题\x1b[8m评分有误", "ticket_number": "1"}, user=candidate)
    form.is_valid()
    assert "控制字符" in " ".join(form.errors["reason"])
