"""What a review of the certification chains found, each now held by a test: files of drafts, the
conflict of interest of appeals, notices institutions can open, newly certified people who could not
renew, a fee charged twice, a payment step with no way out, certificates left behind by a transfer,
expert verdicts lost with an item, and two annual confirmations of one certificate."""
import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certification import applicant_services, services
from certification.exceptions import ApplicationRefused, ConflictOfInterest
from certification.models import (
    Certificate,
    ItemKind,
    ItemVerdict,
    PracticingRelation,
)
from core.models import Notification
from core.workflow import allowed_actions
from tests.accounts.factories import UserFactory
from tests.certification.factories import expert, world

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% a scan\n"


@pytest.fixture
def w():
    return world()


def registration(w, applicant=None):
    applicant = applicant or w.applicant
    app = services.application_create(applicant=applicant, kind="registration", track=w.track)
    services.item_add(app=app, actor=applicant, kind=ItemKind.WORK, entry=w.work)
    for audit in w.audits:
        services.item_add(app=app, actor=applicant, kind=ItemKind.AUDIT, entry=audit)
    services.item_add(app=app, actor=applicant, kind=ItemKind.TRAINING, entry=w.training)
    return app


def to_association(w, app):
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    if app.status == "payment":
        services.payment_confirm(app=app, actor=w.staff)
    app.refresh_from_db()
    return app


def test_an_institution_cannot_open_the_files_of_a_draft(w):
    app = registration(w)
    evidence = applicant_services.evidence_add(app=app, actor=w.applicant,
                                               upload=SimpleUploadedFile("证明.pdf", PDF))
    officer = Client()
    officer.force_login(w.officer)
    url = reverse("certification:evidence", args=[evidence.pk])
    assert officer.get(url).status_code == 404
    services.application_submit(app=app, actor=w.applicant)
    assert officer.get(url).status_code == 200


def test_an_expert_of_the_appellants_institution_is_refused(w):
    app = services.application_create(applicant=w.applicant, kind="appeal", title="申诉", content="事实")
    services.application_submit(app=app, actor=w.applicant)
    with pytest.raises(ConflictOfInterest):
        services.expert_assign(app=app, actor=w.staff, expert=expert("colleague", w.body))
    services.expert_assign(app=app, actor=w.staff, expert=expert("outsider", w.other_body))


def test_the_institutions_notice_opens_its_review_page(w):
    app = registration(w)
    services.application_submit(app=app, actor=w.applicant)
    notice = Notification.objects.get(recipient=w.officer, kind="certification.to_review")
    officer = Client()
    officer.force_login(w.officer)
    assert notice.url == reverse("certification:review-detail", args=[app.pk])
    assert officer.get(notice.url).status_code == 200


def test_someone_certified_for_an_institution_practises_there_and_can_renew_later(w):
    newcomer = UserFactory(username="newcomer")
    for entry in (w.work, *w.audits, w.training):
        entry.pk = None
        entry.person = newcomer
        entry.save()
    app = services.application_create(applicant=newcomer, kind="registration", track=w.track, institution=w.body)
    for kind, entries in ((ItemKind.WORK, newcomer.work_experiences.all()), (ItemKind.AUDIT, newcomer.audit_experiences.all()),
                          (ItemKind.TRAINING, newcomer.training_records.all())):
        for entry in entries:
            services.item_add(app=app, actor=newcomer, kind=kind, entry=entry)
    services.application_submit(app=app, actor=newcomer)
    services.review(app=app, actor=w.officer, action="institution_approve")
    services.payment_confirm(app=app, actor=w.staff)
    services.application_approve(app=app, actor=w.staff)
    assert PracticingRelation.objects.get(person=newcomer, ended_on__isnull=True).institution == w.body
    certificate = Certificate.objects.get(holder=newcomer)
    Certificate.objects.filter(pk=certificate.pk).update(valid_until=timezone.localdate() + datetime.timedelta(days=30))
    annual = services.application_create(applicant=newcomer, kind="annual", certificate=certificate)
    assert annual.institution == w.body
    services.application_submit(app=annual, actor=newcomer)  # no "name your institution" dead end


def test_a_fee_paid_in_an_earlier_round_is_not_charged_again(w):
    app = to_association(w, registration(w))
    assert app.status == "association_review" and app.paid_at is not None
    services.review(app=app, actor=w.staff, action="return", reason="请补充培训证明")
    app.refresh_from_db()
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    assert (app.status, app.fee) == ("association_review", Decimal("300.00"))


def test_an_application_waiting_for_payment_can_be_withdrawn_or_rejected(w):
    app = registration(w)
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    assert app.status == "payment"
    assert "withdraw" in {a.name for a in allowed_actions(app, w.applicant)}
    assert "reject" in {a.name for a in allowed_actions(app, w.staff)}
    applicant_services.application_withdraw(app=app, actor=w.applicant)
    app.refresh_from_db()
    assert app.status == "withdrawn"
    registration(w)  # the field and level are free again


def test_a_transfer_moves_every_valid_certificate_held_at_the_institution_left(w):
    today = timezone.localdate()
    kept = {"issued_on": today - datetime.timedelta(days=100), "valid_until": today + datetime.timedelta(days=900)}
    first = Certificate.objects.create(number="QMS-2025-00000011", holder=w.applicant, track=w.track,
                                       institution=w.body, **kept)
    second = Certificate.objects.create(number="QMS-2025-00000022", holder=w.applicant, track=w.track,
                                        institution=w.body, **kept)
    app = services.application_create(applicant=w.applicant, kind="transfer", certificate=first,
                                      target_institution=w.other_body)
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="transfer_out_approve")
    services.review(app=app, actor=w.other_officer, action="transfer_in_approve")
    services.application_approve(app=app, actor=w.staff)
    assert set(Certificate.objects.values_list("institution", flat=True)) == {w.other_body.pk}
    assert second.pk in Certificate.objects.filter(institution=w.other_body).values_list("pk", flat=True)


def test_an_experts_verdicts_stay_when_the_applicant_removes_an_item_in_the_next_round(w):
    app = to_association(w, registration(w))
    judge = expert("judge", w.other_body)
    services.expert_assign(app=app, actor=w.staff, expert=judge)
    items = list(app.items.all())
    verdicts = {item.pk: (item.kind != ItemKind.TRAINING, "培训证明不足") for item in items}
    services.evaluation_submit(app=app, expert=judge, verdicts=verdicts, result="not_conforming")
    services.review(app=app, actor=w.staff, action="return", reason="请更换培训证明")
    training = app.items.get(kind=ItemKind.TRAINING)
    services.item_remove(item=training, actor=w.applicant)
    verdict = ItemVerdict.objects.get(conforming=False)
    assert verdict.item is None and "QMS 审核员培训" in verdict.item_title
    assert ItemVerdict.objects.count() == len(items)


def test_one_certificate_has_one_open_annual_confirmation(w):
    today = timezone.localdate()
    certificate = Certificate.objects.create(number="QMS-2023-00000011", holder=w.applicant, track=w.track,
                                             institution=w.body, issued_on=today - datetime.timedelta(days=1000),
                                             valid_until=today + datetime.timedelta(days=30))
    services.application_create(applicant=w.applicant, kind="annual", certificate=certificate)
    with pytest.raises(ApplicationRefused):  # a double click
        services.application_create(applicant=w.applicant, kind="annual", certificate=certificate)


def test_the_payment_is_not_received_beside_a_waiting_voucher(w):
    from certification import fees

    app = registration(w)
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    voucher = fees.voucher_submit(app=app, actor=w.applicant, file=SimpleUploadedFile("凭证.pdf", PDF))
    assert "confirm_payment" not in {a.name for a in allowed_actions(app, w.staff)}
    with pytest.raises(ApplicationRefused):
        services.payment_confirm(app=app, actor=w.staff)
    fees.voucher_confirm(voucher=voucher, actor=w.staff)
    app.refresh_from_db()
    assert app.status == "association_review"
