"""成绩 and 成绩复核 (D14): staff import scores all-or-nothing with a report by line; candidates see
them in 我的考试; a review can be requested after the exam, in the window, for one's own ticket,
one open request at a time; staff confirm or correct; every step audited."""
import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from core.workflow import allowed_actions
from exams.models import Exam
from registration import services
from registration.exceptions import InvalidChoice, NotAllowed
from registration.models import AdmissionTicket, Score, ScoreReview

pytestmark = pytest.mark.django_db


def csv_text(rows, headers=("准考证号", "科目", "成绩")) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue()


def dict_rows(text: str):
    return csv.DictReader(io.StringIO(text))


def tickets_of(world, name):
    return list(AdmissionTicket.objects.filter(enrollment=world.paid[name]).select_related("subject", "sitting")
                .order_by("sitting__starts_at"))


def good_rows(world) -> list[tuple[str, str, str]]:
    scores = iter(["88", "59.5", "72", "100", "0", "61", "90.5", "77", "45"])
    return [(t.number, t.subject.name, next(scores))
            for t in AdmissionTicket.objects.select_related("subject").order_by("number")]


@pytest.fixture
def scored(allocated, superuser):
    report = services.scores_import(exam=allocated.exam, actor=superuser, rows=dict_rows(csv_text(good_rows(allocated))))
    assert report.ok and report.imported == 9
    return allocated


@pytest.fixture
def review_window(scored):
    """The review window: from 2 to 10 days after the last exam day."""
    exam = scored.exam
    last = timezone.make_aware(datetime.datetime.combine(exam.exam_ends_on, datetime.time(0)))
    Exam.objects.filter(pk=exam.pk).update(score_review_opens_at=last + datetime.timedelta(days=2),
                                           score_review_closes_at=last + datetime.timedelta(days=10))
    exam.refresh_from_db()
    return exam


def inside(exam):
    return time_machine.travel(exam.score_review_opens_at + datetime.timedelta(hours=1), tick=False)


# --------------------------------------------------------------------------- import


def test_a_good_file_imports_every_score_and_is_audited(allocated, superuser):
    rows = good_rows(allocated)
    report = services.scores_import(exam=allocated.exam, actor=superuser, rows=dict_rows(csv_text(rows)))

    assert report.ok and (report.rows, report.imported) == (9, 9)
    assert {s.ticket.number: s.value for s in Score.objects.select_related("ticket")} == {
        number: Decimal(value) for number, _subject, value in rows}
    entry = AuditEntry.objects.get(action="scores.imported")
    assert entry.actor == superuser and entry.object_id == str(allocated.exam.pk) and entry.after == {"rows": 9}


def test_subject_code_and_english_headers_are_accepted(allocated, superuser):
    rows = [(t.number, t.subject.code, "60") for t in AdmissionTicket.objects.select_related("subject")]
    report = services.scores_import(exam=allocated.exam, actor=superuser,
                                    rows=dict_rows(csv_text(rows, headers=("ticket_number", "subject", "score"))))
    assert report.ok and report.imported == 9


def test_a_file_with_problems_imports_nothing_and_lists_each_by_line(allocated, superuser):
    zhang_gb, zhang_qms = tickets_of(allocated, "张三")
    li_gb, li_ems = tickets_of(allocated, "李四")
    (wang_gb,) = tickets_of(allocated, "王五")
    text = csv_text([
        (zhang_gb.number, zhang_gb.subject.name, "80"),      # 2 good
        ("999999999999999", "认证通用基础", "70"),             # 3 unknown ticket
        (zhang_gb.number, zhang_gb.subject.name, "81"),      # 4 duplicate of line 2
        (zhang_qms.number, zhang_qms.subject.name, "101"),   # 5 out of range
        (li_gb.number, li_gb.subject.name, "八十"),           # 6 not a number
        (li_ems.number, "QMS 基础知识", "66"),                 # 7 wrong subject (李四 sits EMS)
        (wang_gb.number, "", "75.25"),                       # 8 two decimals
    ])

    report = services.scores_import(exam=allocated.exam, actor=superuser, rows=dict_rows(text))

    assert not report.ok and report.imported == 0 and report.rows == 7
    assert [line for line, _problem in report.errors] == [3, 4, 5, 6, 7, 8]
    problems = dict(report.errors)
    assert "999999999999999" in problems[3]
    assert zhang_gb.number in problems[4] and "2" in problems[4]
    assert "101" in problems[5]
    assert "八十" in problems[6]
    assert "QMS 基础知识" in problems[7] and "EMS 基础知识" in problems[7]
    assert "75.25" in problems[8]
    assert not Score.objects.exists()
    assert not AuditEntry.objects.filter(action="scores.imported").exists()


def test_nan_and_infinite_scores_are_reported_not_a_crash(allocated, superuser):
    """Decimal() parses "NaN" and "Infinity" (pandas writes missing values as NaN)."""
    (zhang_gb, zhang_qms), (li_gb, _ems) = tickets_of(allocated, "张三"), tickets_of(allocated, "李四")
    rows = [(zhang_gb.number, "", "NaN"), (zhang_qms.number, "", "Infinity"), (li_gb.number, "", "-0")]
    report = services.scores_import(exam=allocated.exam, actor=superuser, rows=dict_rows(csv_text(rows)))
    assert not report.ok and [line for line, _ in report.errors] == [2, 3]
    assert not Score.objects.exists()


def test_admin_import_view_shows_the_report_then_imports_a_good_file(allocated, superuser, client):
    client.force_login(superuser)
    url = reverse("admin:registration_scores_import")
    assert client.get(url).status_code == 200
    (zhang_gb, _qms) = tickets_of(allocated, "张三")
    bad = csv_text([(zhang_gb.number, zhang_gb.subject.name, "80"), ("123", "", "70"),
                    (zhang_gb.number, "", "101")])
    upload = SimpleUploadedFile("scores.csv", ("\ufeff" + bad).encode("utf-8"), content_type="text/csv")

    response = client.post(url, {"exam": allocated.exam.pk, "file": upload})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-report"' in page
    report = response.context["report"]
    assert [line for line, _ in report.errors] == [3, 4]
    assert "<td>3</td>" in page and "<td>4</td>" in page and "123" in page
    assert not Score.objects.exists()

    good = SimpleUploadedFile("scores.csv", ("\ufeff" + csv_text(good_rows(allocated))).encode("utf-8"))
    response = client.post(url, {"exam": allocated.exam.pk, "file": good})
    assert response.status_code == 302
    assert Score.objects.count() == 9


@pytest.mark.parametrize("who", ["association_staff", "provincial"])
def test_import_view_needs_the_permission(allocated, who, request, client):
    """Only exam administrators (and superusers) import scores: the page and the service refuse the others."""
    actor = request.getfixturevalue(who)
    client.force_login(actor)
    assert client.get(reverse("admin:registration_scores_import")).status_code == 403
    with pytest.raises(NotAllowed):
        services.scores_import(exam=allocated.exam, actor=actor, rows=dict_rows(csv_text(good_rows(allocated))))
    assert not Score.objects.exists()


def test_an_exam_administrator_imports_scores_in_admin(allocated, exam_admin, client):
    client.force_login(exam_admin)
    url = reverse("admin:registration_scores_import")
    assert url in client.get(reverse("admin:registration_admissionticket_changelist")).content.decode()
    upload = SimpleUploadedFile("scores.csv", ("\ufeff" + csv_text(good_rows(allocated))).encode("utf-8"))
    response = client.post(url, {"exam": allocated.exam.pk, "file": upload})
    assert response.status_code == 302
    assert Score.objects.count() == 9
    assert AuditEntry.objects.get(action="scores.imported").actor == exam_admin


def test_candidate_sees_the_score_in_my_exams(scored, client):
    zhang_gb, zhang_qms = tickets_of(scored, "张三")
    client.force_login(scored.candidate("张三"))
    page = client.get(reverse("registration:my-exams")).content.decode()
    assert f'data-testid="score-{zhang_gb.number}">{zhang_gb.score.value}<' in page
    assert f'data-testid="score-{zhang_qms.number}">{zhang_qms.score.value}<' in page
    li_gb, _ems = tickets_of(scored, "李四")
    assert li_gb.number not in page


def test_a_zero_score_is_shown_as_zero_and_a_missing_one_as_a_dash(scored, client):
    zhang_gb, zhang_qms = tickets_of(scored, "张三")
    Score.objects.filter(ticket=zhang_gb).update(value=0)
    Score.objects.filter(ticket=zhang_qms).delete()
    client.force_login(scored.candidate("张三"))
    page = client.get(reverse("registration:my-exams")).content.decode()
    assert f'data-testid="score-{zhang_gb.number}">0.0<' in page
    assert f'data-testid="score-{zhang_qms.number}">—<' in page


# --------------------------------------------------------------------------- review


def request_review(world, name, ticket, reason="卷面分数与预估相差较大"):
    return services.score_review_request(candidate=world.candidate(name), exam=world.exam,
                                         ticket_number=ticket.number, reason=reason)


def test_review_refused_before_the_exam_took_place(scored):
    exam = scored.exam
    Exam.objects.filter(pk=exam.pk).update(score_review_opens_at=timezone.now() - datetime.timedelta(hours=1),
                                           score_review_closes_at=timezone.now() + datetime.timedelta(days=1))
    exam.refresh_from_db()
    assert exam.score_review_is_open() and timezone.localdate() <= exam.exam_ends_on
    with pytest.raises(InvalidChoice) as refused:
        request_review(scored, "张三", tickets_of(scored, "张三")[0])
    assert refused.value.field == "exam"
    assert not ScoreReview.objects.exists()


def test_review_refused_outside_the_window(review_window, scored):
    ticket = tickets_of(scored, "张三")[0]
    for moment in (review_window.score_review_opens_at - datetime.timedelta(hours=1),
                   review_window.score_review_closes_at):
        with time_machine.travel(moment, tick=False), pytest.raises(InvalidChoice):
            request_review(scored, "张三", ticket)
    assert not ScoreReview.objects.exists()


def test_review_refused_for_a_ticket_that_is_not_the_candidates(review_window, scored):
    with inside(review_window):
        with pytest.raises(InvalidChoice) as refused:
            request_review(scored, "张三", tickets_of(scored, "李四")[0])
        assert refused.value.field == "ticket_number"
        with pytest.raises(InvalidChoice):  # 孙八 did not pay and did not sit
            services.score_review_request(candidate=scored.candidate("孙八"), exam=review_window,
                                          ticket_number=tickets_of(scored, "张三")[0].number, reason="想复核")
    assert not ScoreReview.objects.exists()


def test_review_accepted_inside_the_window_once_at_a_time(review_window, scored):
    ticket = tickets_of(scored, "张三")[1]
    with inside(review_window):
        review = request_review(scored, "张三", ticket)
        assert review.status == "requested" and review.ticket == ticket
        with pytest.raises(InvalidChoice) as again:
            request_review(scored, "张三", ticket, reason="再次申请")
        assert again.value.field == "ticket_number"
    assert ScoreReview.objects.count() == 1
    entry = AuditEntry.objects.get(action="score_review.requested")
    assert entry.actor == scored.candidate("张三") and entry.object_id == str(review.pk)
    assert entry.after == {"ticket": ticket.number}


def test_review_page_inside_the_window(review_window, scored, client):
    zhang = scored.candidate("张三")
    url = reverse("registration:score-review")
    with inside(review_window):
        client.force_login(zhang)
        response = client.post(url, {"exam": review_window.pk, "ticket_number": tickets_of(scored, "李四")[0].number,
                                     "reason": "分数有误"})
        assert response.status_code == 400
        assert response.context["form"].errors["ticket_number"]
        response = client.post(url, {"exam": review_window.pk, "ticket_number": tickets_of(scored, "张三")[0].number,
                                     "reason": "分数有误"})
        assert response.status_code == 302 and response["Location"] == reverse("registration:my-exams")
    assert ScoreReview.objects.get().candidate == zhang


def test_staff_correct_the_score_and_the_candidate_sees_the_outcome(review_window, scored, superuser, client):
    ticket = tickets_of(scored, "张三")[1]
    old = ticket.score.value
    with inside(review_window):
        review = request_review(scored, "张三", ticket)

        client.force_login(superuser)
        changelist = reverse("admin:registration_scorereview_changelist")
        form = client.post(changelist, {"action": "decide", "_selected_action": [review.pk]})
        assert form.status_code == 200 and 'name="outcome"' in form.content.decode()
        client.post(changelist, {"action": "decide", "_selected_action": [review.pk], "apply": "1",
                                 "outcome": "经复核，漏计第 5 题分数", "corrected": "63.5"})

        review.refresh_from_db()
        assert review.status == "corrected" and review.new_value == Decimal("63.5")
        assert review.decided_by == superuser
        assert Score.objects.get(ticket=ticket).value == Decimal("63.5")

        client.force_login(scored.candidate("张三"))
        page = client.get(reverse("registration:my-exams")).content.decode()
        assert f'data-testid="score-{ticket.number}">63.5<' in page
        assert "经复核，漏计第 5 题分数" in page
        # Decided: a new request is possible again, a second decision is not.
        with pytest.raises(InvalidChoice):
            services.score_review_decide(review=review, actor=superuser, outcome="again")
    entry = AuditEntry.objects.get(action="score_review.corrected")
    assert entry.actor == superuser and entry.object_id == str(review.pk)
    assert Decimal(entry.before["score"]) == old and Decimal(entry.after["score"]) == Decimal("63.5")


def test_staff_confirm_the_score(review_window, scored, superuser):
    ticket = tickets_of(scored, "赵六")[0]
    with inside(review_window):
        review = request_review(scored, "赵六", ticket)
        services.score_review_decide(review=review, actor=superuser, outcome="复核无误")
    assert review.status == "upheld" and review.outcome == "复核无误"
    assert Score.objects.get(ticket=ticket).value == ticket.score.value
    assert AuditEntry.objects.filter(action="score_review.upheld", object_id=str(review.pk)).count() == 1


def test_score_review_decisions_the_workflow_does_not_allow_are_refused(review_window, scored, superuser,
                                                                      association_staff):
    """Only staff trusted with score reviews decide (registration.change_scorereview: exam administrators), once."""
    ticket = tickets_of(scored, "赵六")[0]
    old = ticket.score.value
    zhao = scored.candidate("赵六")
    with inside(review_window):
        review = request_review(scored, "赵六", ticket)
        assert {a.name for a in allowed_actions(review, superuser)} == {"uphold", "correct"}
        for who in (association_staff, zhao):  # association staff (who may read reviews), the candidate
            assert allowed_actions(review, who) == []
            with pytest.raises(InvalidChoice):
                services.score_review_decide(review=review, actor=who, outcome="改分", corrected=Decimal("99"))
        review.refresh_from_db()
        assert review.status == "requested" and review.decided_by is None

        stale = ScoreReview.objects.get(pk=review.pk)  # a page read before the decision

        services.score_review_decide(review=review, actor=superuser, outcome="复核无误")

        assert allowed_actions(review, superuser) == []
        with pytest.raises(InvalidChoice):  # decided: not corrected afterwards, even from a stale page
            services.score_review_decide(review=stale, actor=superuser, outcome="改分", corrected=Decimal("99"))
    assert Score.objects.get(ticket=ticket).value == old
    decisions = AuditEntry.objects.filter(object_id=str(review.pk), action__in=["score_review.upheld",
                                                                                 "score_review.corrected"])
    assert [(e.action, e.actor) for e in decisions] == [("score_review.upheld", superuser)]


def test_the_admin_decides_only_the_reviews_still_open(review_window, scored, superuser, client):
    first, second = tickets_of(scored, "张三")[0], tickets_of(scored, "赵六")[0]
    with inside(review_window):
        done = request_review(scored, "张三", first)
        services.score_review_decide(review=done, actor=superuser, outcome="复核无误")
        still_open = request_review(scored, "赵六", second)
        client.force_login(superuser)
        response = client.post(reverse("admin:registration_scorereview_changelist"), {
            "action": "decide", "_selected_action": [done.pk, still_open.pk], "apply": "1",
            "outcome": "经复核，成绩有误", "corrected": "99"}, follow=True)
    messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert [tag for tag, _text in messages] == ["warning", "success"]  # the decided one is left alone
    assert first.number in messages[0][1]
    done.refresh_from_db()
    still_open.refresh_from_db()
    assert done.status == "upheld" and done.outcome == "复核无误"
    assert still_open.status == "corrected" and still_open.new_value == Decimal("99")
    assert Score.objects.get(ticket=first).value == first.score.value
    assert Score.objects.get(ticket=second).value == Decimal("99")
