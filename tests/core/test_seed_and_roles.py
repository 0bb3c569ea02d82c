import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_roles_exist_with_their_permissions_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
    staff = Group.objects.get(name=Role.ASSOCIATION_STAFF)
    assert staff.permissions.filter(codename="view_auditentry").exists()
    assert not Group.objects.get(name=Role.CANDIDATE).permissions.exists()


def test_seed_demo_is_idempotent_and_its_logins_work(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    count = User.objects.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert User.objects.count() == count
    response = client.post("/accounts/login/", {"login": "candidate", "password": "Demo#2026pass",
                                                "captcha_0": "k", "captcha_1": "PASSED", "entry": "individual"})
    assert response.status_code == 302
    candidate = User.objects.get(username="candidate")
    assert candidate.groups.filter(name=Role.CANDIDATE).exists() and candidate.education_records.exists()
    assert User.objects.get(username="shandong").province == "37"


def test_the_demo_candidate_can_ask_for_a_score_review_of_the_held_exam(client):
    """The demo has an exam already held, with scores and an open review window (issue 14 item 1)."""
    from django.urls import reverse

    from registration.models import AdmissionTicket, ScoreReview

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    candidate = User.objects.get(username="examinee")
    client.force_login(candidate)
    page = client.get(reverse("registration:my-exams")).content.decode()
    assert "58.0" in page and "72.5" in page and reverse("registration:score-review") in page
    ticket = AdmissionTicket.objects.get(enrollment__candidate=candidate, subject__code="GB", score__isnull=False)
    response = client.post(reverse("registration:score-review"), {
        "exam": ticket.enrollment.exam_id, "ticket_number": ticket.number, "reason": "卷面分数与预估相差较大"})
    assert response.status_code == 302
    assert ScoreReview.objects.get(candidate=candidate).ticket == ticket
