"""The certification demo (issue 15): seed_demo twice gives the same data; each demo login finds what
the README promises, and the three /verify/<token>/ links answer valid, expired and revoked."""
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from certification import demo
from certification.models import Application, Certificate, PaymentVoucher
from core.models import Notification
from core.workflow import allowed_actions
from registration.models import Enrollment

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {"users": User.objects.count(), "applications": Application.objects.count(),
            "certificates": Certificate.objects.count(), "vouchers": PaymentVoucher.objects.count(),
            "notifications": Notification.objects.count(), "enrollments": Enrollment.objects.count()}


def actions(app, username) -> set[str]:
    return {action.name for action in allowed_actions(app, User.objects.get(username=username))}


def test_seed_demo_twice_gives_the_same_certification_data_and_prints_the_new_logins():
    printed = seed()
    first = counts()
    seed()
    assert counts() == first
    for username in ("auditor", "newcomer", "trainee", "expert"):
        assert f" {username} " in printed
    assert "sunqiang" not in printed  # the revoked certificate's holder has no demo login
    # The exam demo's candidates stay as they were: no applications, no new enrollments.
    for username in ("candidate", "examinee"):
        assert not Application.objects.filter(applicant__username=username).exists()
    assert Enrollment.objects.filter(candidate__username="candidate").count() == 1
    assert Enrollment.objects.filter(candidate__username="examinee").count() == 1


def test_each_demo_login_finds_its_part_of_the_chain():
    seed()
    waiting = Application.objects.get(applicant__username="newcomer")
    assert waiting.status == "institution_review" and "institution_approve" in actions(waiting, "institution")

    returned = Application.objects.get(applicant__username="auditor", kind="registration")
    assert returned.status == "returned" and "submit" in actions(returned, "auditor")
    assert returned.items.exclude(return_reason="").count() == 1

    annual = Application.objects.get(applicant__username="auditor", kind="annual")
    assert annual.status == "payment" and annual.fee > 0
    client = Client()
    client.force_login(User.objects.get(username="auditor"))
    assert 'data-testid="voucher-form"' in client.get(reverse("certification:fee", args=[annual.pk])).content.decode()

    evaluated = Application.objects.get(applicant__username="trainee")
    assert evaluated.status == "expert_evaluation" and actions(evaluated, "expert") == {"evaluate"}
    expert = User.objects.get(username="expert")
    assert expert.groups.filter(name="expert").exists() and expert.check_password("Demo#2026pass")
    assert not expert.practicing.filter(institution=evaluated.institution).exists()  # no conflict of interest
    voucher = evaluated.vouchers.get()
    assert voucher.status == "confirmed" and voucher.invoice_number
    assert Notification.objects.filter(recipient=expert, kind="certification.to_evaluate").exists()

    auditor = User.objects.get(username="auditor")
    assert auditor.certificates.count() == 2 and auditor.work_experiences.exists()
    assert auditor.audit_experiences.exists() and auditor.training_records.exists()
    pdf = client.get(reverse("certification:certificate-pdf", args=[auditor.certificates.first().pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("token, status", [(demo.VALID_TOKEN, "valid"), (demo.EXPIRED_TOKEN, "expired"),
                                           (demo.REVOKED_TOKEN, "revoked")])
def test_the_readmes_verification_links_answer_as_promised(token, status):
    seed()
    response = Client().get(f"/verify/{token}/")
    assert response.status_code == 200 and response.context["result"].status == status
    certificate = Certificate.objects.get(token=token)
    by_number = Client().post("/verify/", {"number": certificate.number, "code": demo.CODES[token]})
    assert by_number.context["result"].status == status
