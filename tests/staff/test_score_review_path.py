"""成绩复核 end to end (issue 14.1): before, no exam could have a score review window (the fields were not
in admin) and exam administrators got 403 on score reviews, so 申请成绩复核 always said "not in the review
window". Now an exam administrator sets the window on the exam in admin (audited), a candidate who sat
the exam requests a review inside it, and the exam administrator decides it."""
import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from exams.models import Exam
from registration import services
from registration.models import AdmissionTicket, Score, ScoreReview
from tests.accounts.test_admin_edits import page_form
from tests.staff.test_scores import csv_text, dict_rows, good_rows

pytestmark = pytest.mark.django_db


def local(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def set_window(client, exam, opens: datetime.datetime, closes: datetime.datetime):
    url = reverse("admin:exams_exam_change", args=[exam.pk])
    data = page_form(client, url)
    data.update({"score_review_opens_at_0": f"{opens:%Y-%m-%d}", "score_review_opens_at_1": f"{opens:%H:%M:%S}",
                 "score_review_closes_at_0": f"{closes:%Y-%m-%d}", "score_review_closes_at_1": f"{closes:%H:%M:%S}"})
    return client.post(url, data)


@pytest.fixture
def scored(allocated, exam_admin):
    report = services.scores_import(exam=allocated.exam, actor=exam_admin,
                                    rows=dict_rows(csv_text(good_rows(allocated))))
    assert report.ok
    return allocated


def test_staff_set_the_window_the_candidate_asks_for_a_review_staff_decide(scored, exam_admin, client):
    exam = scored.exam
    last_day = exam.exam_ends_on
    client.force_login(exam_admin)
    page = client.get(reverse("admin:exams_exam_change", args=[exam.pk])).content.decode()
    assert 'name="score_review_opens_at_0"' in page and 'name="score_review_closes_at_0"' in page

    # A window that opens before the exam is over is refused next to its field.
    response = set_window(client, exam, local(last_day, 9), local(last_day + datetime.timedelta(days=5), 17))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["score_review_opens_at"]
    exam.refresh_from_db()
    assert exam.score_review_opens_at is None

    opens, closes = local(last_day + datetime.timedelta(days=3), 9), local(last_day + datetime.timedelta(days=10), 17)
    response = set_window(client, exam, opens, closes)
    assert response.status_code == 302, response.content.decode()[:3000]
    exam.refresh_from_db()
    assert (exam.score_review_opens_at, exam.score_review_closes_at) == (opens, closes)
    entry = AuditEntry.objects.get(action="exam.changed", object_id=str(exam.pk), actor=exam_admin)
    assert entry.before["score_review_opens_at"] is None and entry.after["score_review_opens_at"]

    zhang = scored.candidate("张三")
    ticket = AdmissionTicket.objects.filter(enrollment__candidate=zhang).order_by("sitting__starts_at").last()
    with time_machine.travel(opens + datetime.timedelta(hours=2), tick=False):
        client.force_login(zhang)
        my_exams = client.get(reverse("registration:my-exams")).content.decode()
        assert reverse("registration:score-review") in my_exams  # 申请成绩复核 is offered
        response = client.post(reverse("registration:score-review"), {
            "exam": exam.pk, "ticket_number": ticket.number, "reason": "主观题得分与预估相差较大"})
        assert response.status_code == 302 and response["Location"] == reverse("registration:my-exams")
        review = ScoreReview.objects.get(ticket=ticket)
        assert review.candidate == zhang and review.status == "requested"

        client.force_login(exam_admin)
        changelist = reverse("admin:registration_scorereview_changelist")
        listing = client.get(changelist)
        assert listing.status_code == 200 and ticket.number in listing.content.decode()
        client.post(changelist, {"action": "decide", "_selected_action": [review.pk], "apply": "1",
                                 "outcome": "经复核，第 3 题漏计 4 分", "corrected": "80.5"})
        review.refresh_from_db()
        assert review.status == "corrected" and review.decided_by == exam_admin
        assert Score.objects.get(ticket=ticket).value == Decimal("80.5")

        client.force_login(zhang)
        my_exams = client.get(reverse("registration:my-exams")).content.decode()
        assert "经复核，第 3 题漏计 4 分" in my_exams
        assert f'data-testid="score-{ticket.number}">80.5<' in my_exams

    with time_machine.travel(closes + datetime.timedelta(minutes=1), tick=False):
        client.force_login(zhang)
        response = client.post(reverse("registration:score-review"), {
            "exam": exam.pk, "ticket_number": ticket.number, "reason": "再申请一次"})
        assert response.status_code == 400  # the window has closed
    assert ScoreReview.objects.count() == 1


def test_a_window_needs_both_ends(scored, exam_admin, client):
    exam = scored.exam
    client.force_login(exam_admin)
    url = reverse("admin:exams_exam_change", args=[exam.pk])
    data = page_form(client, url)
    opens = local(exam.exam_ends_on + datetime.timedelta(days=3), 9)
    data.update({"score_review_opens_at_0": f"{opens:%Y-%m-%d}", "score_review_opens_at_1": "09:00:00"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["score_review_closes_at"]
    assert Exam.objects.get(pk=exam.pk).score_review_opens_at is None
