"""The reviewers' pages (SPEC G1, G4, G6, G7; seed 002 §3.1.5, 3.3, 3.4.3): an institution officer's
待审核 queue and review page, their people and certificates; an expert's queue and evaluation page;
staff's figures per stage. What each may see, what they may do, and what others get (404)."""
import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from certification import services
from certification.models import (
    ApplicationItem,
    AuditExperience,
    Certificate,
    ItemKind,
    PracticingRelation,
    TrainingRecord,
    WorkExperience,
)
from core.models import Assignment
from tests.accounts.factories import UserFactory
from tests.certification.factories import expert, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def submitted(w, applicant=None):
    applicant = applicant or w.applicant
    app = services.application_create(applicant=applicant, kind="registration", track=w.track)
    services.item_add(app=app, actor=applicant, kind=ItemKind.WORK, entry=w.work)
    for audit in w.audits:
        services.item_add(app=app, actor=applicant, kind=ItemKind.AUDIT, entry=audit)
    services.item_add(app=app, actor=applicant, kind=ItemKind.TRAINING, entry=w.training)
    services.application_submit(app=app, actor=applicant)
    app.refresh_from_db()
    return app


def another_applicant(w, username: str, name: str, institution=None):
    """Another person (of the same institution unless named), whose library `submitted` picks from next."""
    person = UserFactory(username=username, name=name)
    PracticingRelation.objects.create(person=person, institution=institution or w.body,
                                      started_on=datetime.date(2022, 1, 1))
    w.work = WorkExperience.objects.create(person=person, employer="单位", position="审核员",
                                           started_on=datetime.date(2022, 3, 1))
    w.audits = [AuditExperience.objects.create(person=person, organisation="组织", field=w.track.field,
                                               role="member", audited_on=datetime.date(2024, 1, 1), days=10)]
    w.training = TrainingRecord.objects.create(person=person, course="培训", provider="机构", hours=40,
                                               completed_on=datetime.date(2023, 5, 1))
    return person


def at_association(w):
    app = submitted(w)
    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    services.payment_confirm(app=app, actor=w.staff)
    app.refresh_from_db()
    return app


# --------------------------------------------------------------------------- institutions


def in_queue(client, app, **query) -> bool:
    page = client.get(reverse("certification:review-list"), query).content.decode()
    return f'data-testid="row-{app.number}"' in page


def test_the_queue_holds_what_waits_for_the_officers_institution_only(w):
    app = submitted(w)
    assert client_for(w.officer).get(reverse("certification:review-list")).status_code == 200
    assert in_queue(client_for(w.officer), app)
    other = client_for(w.other_officer).get(reverse("certification:review-list")).content.decode()
    assert app.number not in other and 'data-testid="queue-empty"' in other


def test_the_queue_searches_and_filters(w):
    app = submitted(w)
    officer = client_for(w.officer)
    assert in_queue(officer, app, q="李审核") and in_queue(officer, app, q=app.number)
    assert not in_queue(officer, app, q="王五")
    assert not in_queue(officer, app, kind="transfer")
    assert in_queue(officer, app, stage="institution_review", track=w.track.pk)


def test_the_queue_pages(w):
    for n in range(21):
        submitted(w, applicant=another_applicant(w, f"person{n}", f"申请人{n}"))
    officer = client_for(w.officer)
    first = officer.get(reverse("certification:review-list")).content.decode()
    assert first.count('data-testid="row-') == 20 and 'data-testid="next-page"' in first
    second = officer.get(reverse("certification:review-list"), {"page": 2}).content.decode()
    assert second.count('data-testid="row-') == 1


def test_the_review_page_shows_the_submission_items_and_history(w):
    app = submitted(w)
    w.work.employer = "改名后的公司"  # a later edit of the library does not change what was submitted
    w.work.save()
    page = client_for(w.officer).get(reverse("certification:review-detail", args=[app.pk])).content.decode()
    assert "济南示例认证有限公司" in page and "改名后的公司" not in page
    assert page.count('data-testid="item-') == 5
    assert 'data-testid="history"' in page and "Institution review" in page
    assert "Approve (institution review)" in page and "Return for rectification" in page


def test_another_institution_gets_404_on_the_review_page_and_cannot_decide(w):
    app = submitted(w)
    url = reverse("certification:review-detail", args=[app.pk])
    other = client_for(w.other_officer)
    assert other.get(url).status_code == 404
    assert other.post(url, {"decision": "institution_approve"}).status_code == 404
    app.refresh_from_db()
    assert app.status == "institution_review"
    assert client_for(w.applicant).get(url).status_code == 404  # the applicant has My items instead


def test_the_officer_approves_and_the_applicant_is_asked_to_pay(w):
    app = submitted(w)
    response = client_for(w.officer).post(reverse("certification:review-detail", args=[app.pk]),
                                          {"decision": "institution_approve"})
    assert response.status_code == 302 and response.url == reverse("certification:review-list")
    app.refresh_from_db()
    assert app.status == "payment"


def test_returning_with_a_reason_per_item(w):
    app = submitted(w)
    item = app.items.get(kind=ItemKind.TRAINING)
    response = client_for(w.officer).post(reverse("certification:review-detail", args=[app.pk]),
                                          {"decision": "return", f"item_{item.pk}": "培训证明不清晰"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == "returned"
    assert ApplicationItem.objects.get(pk=item.pk).return_reason == "培训证明不清晰"
    # The officer sees the round and reason in the history, and no verdict to give any more.
    page = client_for(w.officer).get(reverse("certification:review-detail", args=[app.pk])).content.decode()
    assert "培训证明不清晰" in page and 'data-testid="no-actions"' in page


def test_rejecting_without_a_reason_is_refused_next_to_the_field(w):
    app = submitted(w)
    response = client_for(w.officer).post(reverse("certification:review-detail", args=[app.pk]),
                                          {"decision": "reject", "reason": "  "})
    assert response.status_code == 400
    assert "Give the reason" in response.content.decode()
    assert "reason" in response.context["form"].errors
    app.refresh_from_db()
    assert app.status == "institution_review"


def test_a_decision_the_workflow_does_not_offer_is_refused(w):
    app = submitted(w)
    response = client_for(w.officer).post(reverse("certification:review-detail", args=[app.pk]),
                                          {"decision": "transfer_in_approve"})
    assert response.status_code == 400 and "decision" in response.context["form"].errors
    app.refresh_from_db()
    assert app.status == "institution_review"


def test_a_transfer_waits_first_for_the_institution_left_then_for_the_one_joined(w):
    certificate = Certificate.objects.create(number="QMS-2023-00000011", holder=w.applicant, track=w.track,
                                             institution=w.body, issued_on=datetime.date(2023, 1, 1),
                                             valid_until=timezone.localdate() + datetime.timedelta(days=400))
    app = services.application_create(applicant=w.applicant, kind="transfer", certificate=certificate,
                                      target_institution=w.other_body)
    services.application_submit(app=app, actor=w.applicant)
    officer, other = client_for(w.officer), client_for(w.other_officer)
    assert in_queue(officer, app) and not in_queue(other, app)
    officer.post(reverse("certification:review-detail", args=[app.pk]), {"decision": "transfer_out_approve"})
    app.refresh_from_db()
    assert app.status == "transfer_in_review"
    assert not in_queue(officer, app) and in_queue(other, app)
    other.post(reverse("certification:review-detail", args=[app.pk]), {"decision": "transfer_in_approve"})
    app.refresh_from_db()
    assert app.status == "association_review"


def test_people_and_certificates_of_the_officers_institution_only(w):
    today = timezone.localdate()
    mine = Certificate.objects.create(number="QMS-2023-00000011", holder=w.applicant, track=w.track,
                                      institution=w.body, issued_on=today - datetime.timedelta(days=1200),
                                      valid_until=today - datetime.timedelta(days=5))
    elsewhere = UserFactory(username="elsewhere", name="外单位人员")
    PracticingRelation.objects.create(person=elsewhere, institution=w.other_body, started_on=datetime.date(2021, 1, 1))
    Certificate.objects.create(number="QMS-2023-00000029", holder=elsewhere, track=w.track, institution=w.other_body,
                               issued_on=today, valid_until=today + datetime.timedelta(days=900))
    officer = client_for(w.officer)
    people = officer.get(reverse("certification:institution-people")).content.decode()
    assert "李审核" in people and "外单位人员" not in people
    certificates = officer.get(reverse("certification:institution-certificates")).content.decode()
    assert mine.number in certificates and "QMS-2023-00000029" not in certificates
    assert "Expired" in certificates  # a valid certificate past its date is shown as expired
    assert mine.number in officer.get(reverse("certification:institution-certificates"),
                                      {"status": "expired"}).content.decode()
    assert mine.number not in officer.get(reverse("certification:institution-certificates"),
                                          {"status": "valid"}).content.decode()


def test_the_institution_pages_are_not_for_other_accounts(w):
    for name in ("review-list", "review-history", "institution-people", "institution-certificates"):
        assert client_for(w.applicant).get(reverse(f"certification:{name}")).status_code == 404
    assert Client().get(reverse("certification:review-list")).status_code == 302  # to the login


# --------------------------------------------------------------------------- experts


def test_the_experts_queue_puts_overdue_first_and_holds_only_their_own(w):
    judge, other_judge = expert("judge"), expert("judge2")
    first = at_association(w)
    services.expert_assign(app=first, actor=w.staff, expert=judge,
                           due_at=timezone.now() + datetime.timedelta(days=10))
    person = UserFactory(username="second", name="第二申请人")
    PracticingRelation.objects.create(person=person, institution=w.body, started_on=datetime.date(2022, 1, 1))
    second = services.application_create(applicant=person, kind="appeal", title="申诉", content="事实与请求")
    services.application_submit(app=second, actor=person)
    second.refresh_from_db()
    services.expert_assign(app=second, actor=w.staff, expert=judge, due_at=timezone.now() - datetime.timedelta(days=1))
    page = client_for(judge).get(reverse("certification:evaluation-list")).content.decode()
    assert page.index(second.number) < page.index(first.number)  # the overdue one first
    assert page.count('data-testid="overdue"') == 1
    overdue_only = client_for(judge).get(reverse("certification:evaluation-list"), {"overdue": "1"}).content.decode()
    assert second.number in overdue_only and first.number not in overdue_only
    assert first.number in client_for(judge).get(reverse("certification:evaluation-list"),
                                                 {"kind": "registration"}).content.decode()
    assert 'data-testid="queue-empty"' in client_for(other_judge).get(
        reverse("certification:evaluation-list")).content.decode()
    assert client_for(w.applicant).get(reverse("certification:evaluation-list")).status_code == 404


def test_only_the_assigned_expert_opens_the_evaluation(w):
    judge, other_judge = expert("judge"), expert("judge2")
    app = at_association(w)
    services.expert_assign(app=app, actor=w.staff, expert=judge)
    url = reverse("certification:evaluation", args=[app.pk])
    assert client_for(judge).get(url).status_code == 200
    for user in (other_judge, w.officer, w.applicant):
        assert client_for(user).get(url).status_code == 404
    assert client_for(other_judge).post(url, {"result": "conforming"}).status_code == 404


def test_the_expert_evaluates_item_by_item_and_non_conforming_items_flow_into_the_opinion(w):
    judge = expert("judge")
    app = at_association(w)
    services.expert_assign(app=app, actor=w.staff, expert=judge)
    items = list(app.items.all())
    data = {f"verdict_{item.pk}": "yes" for item in items}
    data[f"verdict_{items[1].pk}"] = "no"
    data[f"comment_{items[1].pk}"] = "审核天数证明不足"
    data.update(result="not_conforming", opinion="建议补充证明")
    client = client_for(judge)
    response = client.post(reverse("certification:evaluation", args=[app.pk]), data)
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == "association_decision"
    evaluation = app.evaluations.get()
    assert "审核天数证明不足" in evaluation.opinion and "建议补充证明" in evaluation.opinion
    assert not Assignment.objects.filter(assignee=judge, done_at__isnull=True).exists()
    page = client.get(reverse("certification:evaluation", args=[app.pk])).content.decode()
    assert 'data-testid="evaluation-done"' in page and "审核天数证明不足" in page
    assert 'data-testid="evaluation-form"' not in page


def test_an_item_left_unmarked_is_named_and_nothing_is_saved(w):
    judge = expert("judge")
    app = at_association(w)
    services.expert_assign(app=app, actor=w.staff, expert=judge)
    items = list(app.items.all())
    data = {f"verdict_{item.pk}": "yes" for item in items[1:]}
    data["result"] = "conforming"
    response = client_for(judge).post(reverse("certification:evaluation", args=[app.pk]), data)
    assert response.status_code == 400
    assert f"verdict_{items[0].pk}" in response.context["form"].errors
    assert "Mark this item conforming or not conforming." in response.content.decode()
    app.refresh_from_db()
    assert app.status == "expert_evaluation" and not app.evaluations.exists()


# --------------------------------------------------------------------------- staff


def test_staff_see_applications_per_stage_and_the_average_time_spent(w):
    start = timezone.now() - datetime.timedelta(days=3)
    with time_machine.travel(start, tick=False):
        app = submitted(w)
    with time_machine.travel(start + datetime.timedelta(days=2), tick=False):
        services.review(app=app, actor=w.officer, action="institution_approve")
    submitted_later = submitted(w, applicant=another_applicant(w, "second", "第二申请人"))
    assert submitted_later.status == "institution_review"
    response = client_for(w.staff).get(reverse("staff:certification-stages"))
    assert response.status_code == 200
    rows = {row["stage"]: row for row in response.context["rows"]}
    assert rows["institution_review"]["waiting"] == 1 and rows["payment"]["waiting"] == 1
    assert rows["institution_review"]["moved_on"] == 1
    assert rows["institution_review"]["average_spent"] == datetime.timedelta(days=2)
    assert "2 d 0 h" in response.content.decode()
    assert client_for(w.officer).get(reverse("staff:certification-stages")).status_code == 302  # admin login


def test_the_reviewers_pages_link_the_evidence_files(w):
    from django.core.files.base import ContentFile

    from certification.models import Evidence

    judge = expert("judge")
    app = at_association(w)
    item = app.items.get(kind=ItemKind.TRAINING)
    evidence = Evidence(application=app, item=item, name="培训证明.pdf", content_type="application/pdf",
                        uploaded_by=w.applicant)
    evidence.file.save("proof.pdf", ContentFile(b"%PDF-1.4 proof"), save=True)
    link = f'href="{reverse("certification:evidence", args=[evidence.pk])}"'
    assert link in client_for(w.officer).get(reverse("certification:review-detail", args=[app.pk])).content.decode()
    services.expert_assign(app=app, actor=w.staff, expert=judge)
    assert link in client_for(judge).get(reverse("certification:evaluation", args=[app.pk])).content.decode()
