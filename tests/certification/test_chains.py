"""The certification chains through their services (SPEC G1, G4, G5, G6, G7, G10): what an applicant,
an institution, an expert and the association see happen."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from certification import services
from certification.exceptions import ApplicationRefused, ConflictOfInterest, RequirementsNotMet
from certification.models import ApplicationItem, Certificate, ItemKind, PracticingRelation
from core.models import AuditEntry, Notification, Review
from core.workflow import allowed_actions
from tests.certification.factories import expert, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def complete_registration(w):
    app = services.application_create(applicant=w.applicant, kind="registration", track=w.track)
    services.item_add(app=app, actor=w.applicant, kind=ItemKind.WORK, entry=w.work)
    for audit in w.audits:
        services.item_add(app=app, actor=w.applicant, kind=ItemKind.AUDIT, entry=audit)
    services.item_add(app=app, actor=w.applicant, kind=ItemKind.TRAINING, entry=w.training)
    return app


def work_in(snapshot) -> dict:
    return next(item["data"] for item in snapshot["items"] if item["kind"] == "work")


def names(app, user):
    return {action.name for action in allowed_actions(app, user)}


def test_a_registration_goes_from_draft_to_a_verifiable_certificate(w):
    app = complete_registration(w)
    assert app.institution == w.body and app.number.startswith("ZC")
    services.application_submit(app=app, actor=w.applicant)
    app.refresh_from_db()
    assert app.status == "institution_review" and app.round == 1
    assert work_in(app.snapshot)["employer"] == "济南示例认证有限公司"
    assert Notification.objects.filter(recipient=w.officer, kind="certification.to_review").exists()
    assert names(app, w.officer) >= {"institution_approve", "return", "reject"}
    assert not names(app, w.other_officer) and not names(app, w.applicant)

    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    assert (app.status, app.fee) == ("payment", Decimal("300.00"))
    assert Notification.objects.filter(recipient=w.applicant, kind="certification.payment_due").exists()
    services.payment_confirm(app=app, actor=w.staff)

    judge = expert("judge")
    services.expert_assign(app=app, actor=w.staff, expert=judge)
    app.refresh_from_db()
    assert app.status == "expert_evaluation" and names(app, judge) == {"evaluate"}
    assert Notification.objects.filter(recipient=judge, kind="certification.to_evaluate").exists()
    items = list(app.items.all())
    verdicts = {item.pk: (True, "") for item in items}
    verdicts[items[1].pk] = (False, "审核天数证明不足")
    evaluation = services.evaluation_submit(app=app, expert=judge, verdicts=verdicts, result="conforming",
                                            opinion="总体符合")
    assert "审核天数证明不足" in evaluation.opinion and "总体符合" in evaluation.opinion  # flowed into the opinion
    app.refresh_from_db()
    assert app.status == "association_decision" and not names(app, judge)

    services.application_approve(app=app, actor=w.staff)
    certificate = Certificate.objects.get(holder=w.applicant)
    assert certificate.institution == w.body and certificate.track == w.track
    assert services.certificate_number_is_valid(certificate.number)
    assert certificate.shown_status() == "valid" and certificate.valid_until > timezone.localdate()
    assert Notification.objects.filter(recipient=w.applicant, kind="certification.approved").exists()
    verdicts_recorded = Review.objects.filter(object_id=str(app.pk)).order_by("pk").values_list("verdict", flat=True)
    assert list(verdicts_recorded) == ["institution_approve", "evaluate", "approve"]


def test_submitting_names_every_unmet_requirement_at_once(w):
    app = services.application_create(applicant=w.applicant, kind="registration", track=w.track)
    services.item_add(app=app, actor=w.applicant, kind=ItemKind.AUDIT, entry=w.audits[0])
    with pytest.raises(RequirementsNotMet) as refused:
        services.application_submit(app=app, actor=w.applicant)
    text = " ".join(refused.value.problems)
    assert "10" in text and "4" in text  # audit days needed and had
    assert "40" in text  # training hours needed
    assert len(refused.value.problems) == 3  # days, hours, a work experience
    app.refresh_from_db()
    assert app.status == "draft" and app.round == 0


def test_exam_subjects_must_have_been_passed(db):
    w = world(subjects="GB,QMS")
    app = complete_registration(w)
    with pytest.raises(RequirementsNotMet) as refused:
        services.application_submit(app=app, actor=w.applicant)
    assert any("GB" in problem and "QMS" in problem for problem in refused.value.problems)


def test_a_return_for_rectification_names_the_items_and_a_new_round_starts(w):
    app = complete_registration(w)
    services.application_submit(app=app, actor=w.applicant)
    item = app.items.filter(kind=ItemKind.TRAINING).get()
    services.review(app=app, actor=w.officer, action="return", item_reasons={item.pk: "培训证明不清晰"})
    app.refresh_from_db()
    assert app.status == "returned"
    assert ApplicationItem.objects.get(pk=item.pk).return_reason == "培训证明不清晰"
    returned = Notification.objects.get(recipient=w.applicant, kind="certification.returned")
    assert "培训证明不清晰" in returned.body
    # The library changes later: the submitted snapshot does not.
    w.work.employer = "改名后的公司"
    w.work.save()
    assert work_in(app.snapshot)["employer"] == "济南示例认证有限公司"
    services.application_submit(app=app, actor=w.applicant)
    app.refresh_from_db()
    assert (app.status, app.round) == ("institution_review", 2)
    assert ApplicationItem.objects.get(pk=item.pk).return_reason == ""


def test_an_expert_of_the_applicants_institution_is_refused(w):
    app = complete_registration(w)
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="institution_approve")
    services.payment_confirm(app=app, actor=w.staff)
    colleague = expert("colleague", w.body)
    with pytest.raises(ConflictOfInterest):
        services.expert_assign(app=app, actor=w.staff, expert=colleague)
    app.refresh_from_db()
    assert app.status == "association_review"


def test_no_fee_sends_the_application_on_after_the_institution(db):
    w = world(fee="0")
    app = complete_registration(w)
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    assert app.status == "association_review"


def certified(w, **changes):
    today = timezone.localdate()
    values = {"issued_on": today - datetime.timedelta(days=1000), "valid_until": today + datetime.timedelta(days=30)}
    values.update(changes)
    return Certificate.objects.create(number="QMS-2023-00000011", holder=w.applicant, track=w.track,
                                      institution=w.body, **values)


def test_a_transfer_moves_the_person_and_the_certificate_in_one_step(w):
    certificate = certified(w)
    app = services.application_create(applicant=w.applicant, kind="transfer", certificate=certificate,
                                      target_institution=w.other_body)
    services.application_submit(app=app, actor=w.applicant)
    assert names(app, w.other_officer) == set()  # the institution left reviews first
    services.review(app=app, actor=w.officer, action="transfer_out_approve")
    app.refresh_from_db()
    assert names(app, w.other_officer) >= {"transfer_in_approve"} and not names(app, w.officer)
    services.review(app=app, actor=w.other_officer, action="transfer_in_approve")
    services.application_approve(app=app, actor=w.staff)
    certificate.refresh_from_db()
    assert certificate.institution == w.other_body
    current = PracticingRelation.objects.get(person=w.applicant, ended_on__isnull=True)
    assert current.institution == w.other_body
    assert PracticingRelation.objects.filter(person=w.applicant, institution=w.body,
                                             ended_on=timezone.localdate()).exists()
    assert AuditEntry.objects.filter(action="certificate.transferred", object_id=str(certificate.pk)).exists()


def test_annual_confirmation_only_near_expiry_and_it_extends_the_validity(w):
    far = certified(w, valid_until=timezone.localdate() + datetime.timedelta(days=400))
    assert services.annual_candidates(w.applicant) == []
    app = services.application_create(applicant=w.applicant, kind="annual", certificate=far, track=w.track)
    with pytest.raises(RequirementsNotMet):
        services.application_submit(app=app, actor=w.applicant)
    Certificate.objects.filter(pk=far.pk).update(valid_until=timezone.localdate() + datetime.timedelta(days=30))
    far.refresh_from_db()
    assert services.annual_candidates(w.applicant) == [far]
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    assert app.fee == Decimal("100.00")
    services.payment_confirm(app=app, actor=w.staff)
    before = far.valid_until
    services.application_approve(app=app, actor=w.staff)
    far.refresh_from_db()
    assert far.valid_until == before.replace(year=before.year + 3)


def test_an_appeal_is_decided_and_the_opinion_fed_back(w):
    app = services.application_create(applicant=w.applicant, kind="appeal", title="对审核结论申诉",
                                      content="事实与请求")
    services.application_submit(app=app, actor=w.applicant)
    app.refresh_from_db()
    assert app.status == "association_review"
    assert names(app, w.staff) >= {"send_to_expert", "decide", "return", "reject"}
    assert "approve" not in names(app, w.staff)
    with pytest.raises(ApplicationRefused):
        services.case_decide(app=app, actor=w.staff, opinion="")
    services.case_decide(app=app, actor=w.staff, opinion="维持原结论")
    app.refresh_from_db()
    assert (app.status, app.opinion) == ("closed", "维持原结论")
    assert "维持原结论" in Notification.objects.get(recipient=w.applicant, kind="certification.decided").body


def test_revoked_and_expired_certificates_say_so(w):
    certificate = certified(w, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    assert certificate.shown_status() == "expired"
    services.certificate_set_status(certificate=certificate, actor=w.staff, action="revoke", reason="违规")
    certificate.refresh_from_db()
    assert certificate.shown_status() == "revoked" and certificate.status_reason == "违规"
    with pytest.raises(Exception):
        services.certificate_set_status(certificate=certificate, actor=w.applicant, action="reinstate", reason="x")


def test_an_annual_confirmation_without_a_track_takes_the_certificates_fee(w):
    certificate = certified(w)  # valid for another 30 days: in the renewal window
    app = services.application_create(applicant=w.applicant, kind="annual", certificate=certificate)
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    assert (app.status, app.fee) == ("payment", Decimal("100.00"))  # not skipped as "nothing to pay"


def test_every_page_links_to_the_public_certificate_verification(client):
    from django.urls import reverse

    page = client.get("/").content.decode()
    assert f'href="{reverse("verify:verify")}"' in page
