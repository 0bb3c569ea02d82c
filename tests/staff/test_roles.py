"""Who runs an exam (issue 14.7, SPEC A9 and F1), role by role, at the services: exam administrators
allocate admission tickets, import scores and decide score reviews; association staff, provincial
authorities and candidates do none of it (before, only a superuser could). What admin offers each
role is checked page by page in tests/accounts/test_admin_access.py."""
import datetime

import pytest
import time_machine

from core.workflow import allowed_actions
from registration import services
from registration.exceptions import InvalidChoice, NotAllowed
from registration.models import AdmissionTicket, Score, ScoreReview
from tests.staff.test_scores import csv_text, dict_rows, good_rows

pytestmark = pytest.mark.django_db

ROLES = ["superuser", "exam_admin", "association_staff", "provincial", "candidate"]
RUNS_THE_EXAM = {"superuser", "exam_admin"}


def actor(role, request, world):
    return world.candidate("张三") if role == "candidate" else request.getfixturevalue(role)


@pytest.mark.parametrize("role", ROLES)
def test_who_allocates_admission_tickets(world, role, request):
    who = actor(role, request, world)
    if role in RUNS_THE_EXAM:
        assert services.tickets_allocate(exam=world.exam, actor=who)["created"] == 9
    else:
        with pytest.raises(NotAllowed):
            services.tickets_allocate(exam=world.exam, actor=who)
        assert not AdmissionTicket.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_who_imports_scores(allocated, role, request):
    who = actor(role, request, allocated)
    rows = dict_rows(csv_text(good_rows(allocated)))
    if role in RUNS_THE_EXAM:
        assert services.scores_import(exam=allocated.exam, actor=who, rows=rows).imported == 9
    else:
        with pytest.raises(NotAllowed):
            services.scores_import(exam=allocated.exam, actor=who, rows=rows)
        assert not Score.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_who_decides_score_reviews(allocated, superuser, role, request):
    exam = allocated.exam
    assert services.scores_import(exam=exam, actor=superuser, rows=dict_rows(csv_text(good_rows(allocated)))).ok
    opens = datetime.datetime.combine(exam.exam_ends_on + datetime.timedelta(days=2), datetime.time(9),
                                      tzinfo=datetime.UTC)
    type(exam).objects.filter(pk=exam.pk).update(score_review_opens_at=opens,
                                                 score_review_closes_at=opens + datetime.timedelta(days=7))
    exam.refresh_from_db()
    who = actor(role, request, allocated)
    ticket = AdmissionTicket.objects.filter(enrollment=allocated.paid["赵六"]).first()
    with time_machine.travel(opens + datetime.timedelta(hours=1), tick=False):
        review = services.score_review_request(candidate=allocated.candidate("赵六"), exam=exam,
                                               ticket_number=ticket.number, reason="复核")
        offered = {action.name for action in allowed_actions(review, who)}
        if role in RUNS_THE_EXAM:
            assert offered == {"uphold", "correct"}
            services.score_review_decide(review=review, actor=who, outcome="复核无误")
            assert ScoreReview.objects.get(pk=review.pk).status == "upheld"
        else:
            assert offered == set()
            with pytest.raises(InvalidChoice):
                services.score_review_decide(review=review, actor=who, outcome="复核无误")
            assert ScoreReview.objects.get(pk=review.pk).status == "requested"
