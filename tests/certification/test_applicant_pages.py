"""The applicant's pages (SPEC G1, G2, G5–G8; seed 002 §3, §4): the basic-information library, 在线申请,
a registration from draft to submitted (every unmet requirement shown), 退回整改 and resubmitting,
supporting files that only the right people can open, 我的事项 with its timeline, 年度确认, transfers,
appeals and complaints, and the holder's certificates."""
import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from certification import services
from certification.models import (
    Application,
    AuditExperience,
    Certificate,
    Evidence,
    ItemKind,
    TrainingRecord,
    WorkExperience,
)
from tests.accounts.factories import UserFactory
from tests.certification.factories import expert, world

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def w():
    return world()


@pytest.fixture
def applicant(client, w):
    client.force_login(w.applicant)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PNG")
    return buffer.getvalue()


def draft(w, **fields) -> Application:
    return services.application_create(applicant=w.applicant, kind="registration", track=w.track, **fields)


def complete(w) -> Application:
    app = draft(w)
    services.item_add(app=app, actor=w.applicant, kind=ItemKind.WORK, entry=w.work)
    for audit in w.audits:
        services.item_add(app=app, actor=w.applicant, kind=ItemKind.AUDIT, entry=audit)
    services.item_add(app=app, actor=w.applicant, kind=ItemKind.TRAINING, entry=w.training)
    return app


def certificate_of(w, **changes) -> Certificate:
    today = timezone.localdate()
    values = {"issued_on": today - datetime.timedelta(days=1000), "valid_until": today + datetime.timedelta(days=30),
              "number": "QMS-2023-00000011"}
    values.update(changes)
    return Certificate.objects.create(holder=w.applicant, track=w.track, institution=w.body, **values)


# --------------------------------------------------------------------------- 基本信息库


def test_library_entries_are_added_edited_and_deleted_by_their_owner_only(applicant, w, client):
    response = applicant.post(reverse("certification:library-add", args=["work"]), {
        "employer": "青岛质量认证中心", "position": "审核组长", "started_on": "2019-01-01", "ended_on": "2018-01-01"})
    assert response.status_code == 200
    assert "The end date cannot be before the start date." in text_of(response)
    assert not WorkExperience.objects.filter(employer="青岛质量认证中心").exists()  # nothing half-written

    response = applicant.post(reverse("certification:library-add", args=["audit"]), {
        "organisation": "某制造公司", "field": w.track.field_id, "role": "leader", "audited_on": "2024-03-01",
        "days": "0"})
    assert "Enter the audit days, more than 0." in text_of(response)

    response = applicant.post(reverse("certification:library-add", args=["work"]), {
        "employer": "青岛质量认证中心", "position": "审核组长", "started_on": "2018-01-01"})
    assert response.status_code == 302
    entry = WorkExperience.objects.get(employer="青岛质量认证中心", person=w.applicant)
    page = text_of(applicant.get(reverse("certification:library")))
    assert "青岛质量认证中心" in page and "QMS 审核员培训" in page and "受审核组织0" in page

    applicant.post(reverse("certification:library-edit", args=["work", entry.pk]), {
        "employer": "青岛质量认证中心", "position": "技术负责人", "started_on": "2018-01-01"})
    entry.refresh_from_db()
    assert entry.position == "技术负责人"

    stranger = UserFactory(username="stranger")
    client.force_login(stranger)
    assert client.get(reverse("certification:library-edit", args=["work", entry.pk])).status_code == 404
    assert client.post(reverse("certification:library-delete", args=["work", entry.pk])).status_code == 404
    assert WorkExperience.objects.filter(pk=entry.pk).exists()

    client.force_login(w.applicant)
    client.post(reverse("certification:library-delete", args=["work", entry.pk]))
    assert not WorkExperience.objects.filter(pk=entry.pk).exists()


# --------------------------------------------------------------------------- 在线申请 and 人员注册


def test_online_application_lists_the_five_services(applicant):
    response = applicant.get(reverse("certification:apply"))
    page = text_of(response)
    for label in ("Personnel registration", "Annual confirmation", "Change of practicing institution", "Appeal",
                  "Complaint"):
        assert label in page
    assert page.count('data-testid="start-') == 5


def test_an_institution_account_files_only_appeals_and_complaints(client, w):
    client.force_login(w.officer)
    page = text_of(client.get(reverse("certification:apply")))
    assert page.count('data-testid="start-') == 2 and "Personnel registration" not in page
    assert client.get(reverse("certification:application-start", args=["registration"])).status_code == 404
    response = client.post(reverse("certification:application-start", args=["complaint"]), {
        "title": "审核员违规", "respondent": "某审核员", "content": "现场审核时收取礼金。"})
    app = Application.objects.get(applicant=w.officer)
    assert response.status_code == 302 and (app.kind, app.respondent) == ("complaint", "某审核员")
    client.post(reverse("certification:application-edit", args=[app.pk]), {
        "title": "审核员违规", "respondent": "某审核员", "content": "现场审核时收取礼金。", "action": "submit"})
    app.refresh_from_db()
    assert app.status == "association_review"


def test_registration_starts_with_the_practicing_institution_and_refuses_a_second_for_the_track(applicant, w):
    page = text_of(applicant.get(reverse("certification:application-start", args=["registration"])))
    assert "济南示例认证有限公司" in page and 'name="institution"' not in page  # prefilled, fixed
    response = applicant.post(reverse("certification:application-start", args=["registration"]),
                              {"track": w.track.pk})
    app = Application.objects.get(applicant=w.applicant)
    assert response.status_code == 302 and response["Location"] == reverse("certification:application-edit",
                                                                            args=[app.pk])
    assert (app.status, app.institution, app.track) == ("draft", w.body, w.track)
    response = applicant.post(reverse("certification:application-start", args=["registration"]),
                              {"track": w.track.pk})
    assert response.status_code == 200 and app.number in text_of(response)
    assert Application.objects.filter(applicant=w.applicant).count() == 1


def test_someone_without_an_institution_chooses_a_certification_body(client, w):
    newcomer = UserFactory(username="newcomer")
    client.force_login(newcomer)
    page = text_of(client.get(reverse("certification:application-start", args=["registration"])))
    assert 'name="institution"' in page and "青岛示例认证有限公司" in page
    client.post(reverse("certification:application-start", args=["registration"]),
                {"track": w.track.pk, "institution": w.other_body.pk})
    assert Application.objects.get(applicant=newcomer).institution == w.other_body


def test_submitting_an_incomplete_draft_lists_every_problem_and_keeps_it(applicant, w):
    app = draft(w)
    edit = reverse("certification:application-edit", args=[app.pk])
    # From the library: one audit (4 days of the 10 needed); typed in: a training of 8 hours, kept in the library.
    applicant.post(reverse("certification:item-pick", args=[app.pk, "audit"]), {"entries": [w.audits[0].pk]})
    response = applicant.post(reverse("certification:item-add", args=[app.pk, "training"]), {
        "course": "内审员培训", "provider": "某培训机构", "hours": "8", "completed_on": "2024-05-01",
        "keep_in_library": "on"})
    assert response.status_code == 302
    assert TrainingRecord.objects.filter(person=w.applicant, course="内审员培训").exists()

    response = applicant.post(edit, {"track": w.track.pk, "action": "submit"})
    assert response.status_code == 200
    problems = re.findall(r"<li>(.*?)</li>", response.content.decode().split('data-testid="submit-problems"')[1]
                          .split("</ul>")[0])
    assert len(problems) == 3
    assert any("10" in p and "4" in p for p in problems)  # audit days needed and had
    assert any("40" in p and "8" in p for p in problems)  # training hours needed and had
    assert any("work experience" in p for p in problems)
    app.refresh_from_db()
    assert app.status == "draft" and app.items.count() == 2  # nothing lost

    # The draft is in My items with 编辑.
    listing = text_of(applicant.get(reverse("certification:my-items")))
    assert app.number in listing and "Draft" in listing and 'data-testid="item-edit"' in listing


def test_a_complete_registration_is_submitted_with_a_file_and_shown_as_submitted(applicant, w):
    app = draft(w)
    applicant.post(reverse("certification:item-pick", args=[app.pk, "work"]), {"entries": [w.work.pk]})
    applicant.post(reverse("certification:item-pick", args=[app.pk, "audit"]),
                   {"entries": [a.pk for a in w.audits]})
    applicant.post(reverse("certification:item-pick", args=[app.pk, "training"]), {"entries": [w.training.pk]})
    response = applicant.post(reverse("certification:evidence-upload", args=[app.pk]), {
        "file": SimpleUploadedFile("培训证书.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 302
    response = applicant.post(reverse("certification:application-edit", args=[app.pk]),
                              {"track": w.track.pk, "action": "submit"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.round) == ("institution_review", 1)

    page = text_of(applicant.get(reverse("certification:application-detail", args=[app.pk])))
    assert "As submitted (round 1)" in page and "受审核组织2" in page and "培训证书.pdf" in page
    assert "Institution review" in page
    assert 'data-testid="edit"' not in page and 'data-testid="withdraw"' not in page  # nothing to do now
    # The library changes later: what was submitted does not.
    w.work.employer = "改名后的公司"
    w.work.save()
    assert "改名后的公司" not in text_of(applicant.get(reverse("certification:application-detail", args=[app.pk])))
    # And it can no longer be edited.
    response = applicant.get(reverse("certification:application-edit", args=[app.pk]))
    assert response.status_code == 302 and response["Location"].endswith(
        reverse("certification:application-detail", args=[app.pk]))


def test_after_a_return_the_items_show_their_reasons_and_it_is_submitted_again(applicant, w):
    app = complete(w)
    services.application_submit(app=app, actor=w.applicant)
    training = app.items.get(kind=ItemKind.TRAINING)
    services.review(app=app, actor=w.officer, action="return", reason="请补充培训证明",
                    item_reasons={training.pk: "培训证明不清晰"})

    detail = text_of(applicant.get(reverse("certification:application-detail", args=[app.pk])))
    assert "请补充培训证明" in detail and "培训证明不清晰" in detail and 'data-testid="edit"' in detail
    assert "Institution: 济南示例认证有限公司" in detail  # who returned it, by role
    assert "Return for rectification" in detail

    edit = text_of(applicant.get(reverse("certification:application-edit", args=[app.pk])))
    assert 'data-testid="item-return-reason"' in edit and "培训证明不清晰" in edit
    applicant.post(reverse("certification:evidence-upload", args=[app.pk]), {
        "file": SimpleUploadedFile("证明.png", png_bytes()), "item": training.pk})
    assert Evidence.objects.get(application=app).item_id == training.pk
    response = applicant.post(reverse("certification:application-edit", args=[app.pk]),
                              {"track": w.track.pk, "action": "submit"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.round) == ("institution_review", 2)
    steps = text_of(applicant.get(reverse("certification:application-detail", args=[app.pk])))
    assert steps.count('data-testid="step"') == 4  # created, submitted, returned, submitted again
    assert "round 2" in steps


def test_save_in_drafts_keeps_a_changed_track(applicant, w):
    from certification.models import Level, Track

    senior = Track.objects.create(field=w.track.field, level=Level.objects.create(code="senior", name="高级审核员",
                                                                                     rank=3))
    app = draft(w)
    response = applicant.post(reverse("certification:application-edit", args=[app.pk]),
                              {"track": senior.pk, "action": "save"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.track == senior and app.status == "draft"


def test_withdrawing_a_draft_after_a_confirmation(applicant, w):
    app = draft(w)
    url = reverse("certification:application-withdraw", args=[app.pk])
    assert url in text_of(applicant.get(reverse("certification:application-detail", args=[app.pk])))
    confirmation = applicant.get(url)
    assert confirmation.status_code == 200 and 'data-testid="confirm-withdraw"' in text_of(confirmation)
    app.refresh_from_db()
    assert app.status == "draft"  # asking is not doing
    applicant.post(url)
    app.refresh_from_db()
    assert app.status == "withdrawn"
    assert applicant.get(url).status_code == 302  # nothing left to withdraw
    assert 'data-testid="withdraw"' not in text_of(applicant.get(reverse("certification:application-detail",
                                                                         args=[app.pk])))


# --------------------------------------------------------------------------- supporting files


def test_a_file_is_checked_by_content_and_size(applicant, w, settings):
    app = draft(w)
    url = reverse("certification:evidence-upload", args=[app.pk])
    response = applicant.post(url, {"file": SimpleUploadedFile("证明.pdf", b"<html>not a pdf</html>")})
    assert response.status_code == 400
    assert "Only JPEG or PNG images and PDF documents can be attached" in text_of(response)
    response = applicant.post(url, {"file": SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0broken")})
    assert "The image cannot be read" in text_of(response)
    settings.CERTIFICATION_EVIDENCE_MAX_BYTES = 1024 * 1024
    response = applicant.post(url, {"file": SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))})
    assert "The file is too large: at most 1 MB." in text_of(response)
    assert not Evidence.objects.exists()


def test_a_file_is_served_only_to_the_applicant_the_reviewers_the_expert_and_staff(client, w):
    app = complete(w)
    evidence = services_evidence(app, w)
    url = reverse("certification:evidence", args=[evidence.pk])
    services.application_submit(app=app, actor=w.applicant)

    def status(user):
        client.force_login(user)
        return client.get(url).status_code

    judge = expert("judge")
    assert status(w.applicant) == 200
    assert status(w.officer) == 200
    assert status(w.other_officer) == 404
    assert status(UserFactory(username="nosy")) == 404
    assert status(judge) == 404  # not assigned (yet)
    assert status(w.staff) == 200
    services.review(app=app, actor=w.officer, action="institution_approve")
    services.payment_confirm(app=app, actor=w.staff)
    services.expert_assign(app=app, actor=w.staff, expert=judge)
    client.force_login(judge)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def services_evidence(app, w):
    from certification import applicant_services

    return applicant_services.evidence_add(app=app, actor=w.applicant,
                                           upload=SimpleUploadedFile("a.pdf", PDF))


# --------------------------------------------------------------------------- 我的事项


def test_my_items_are_the_applicants_own_searchable_filterable_and_paged(applicant, w, client):
    first = draft(w)
    appeal = services.application_create(applicant=w.applicant, kind="appeal", title="对结论申诉", content="理由")
    services.application_submit(app=appeal, actor=w.applicant)
    for n in range(21):
        services.application_create(applicant=w.applicant, kind="complaint", title=f"投诉{n}", content="x")

    page = text_of(applicant.get(reverse("certification:my-items")))
    assert page.count('data-testid="item-') - page.count('data-testid="item-status"') \
        - page.count('data-testid="item-edit"') - page.count('data-testid="item-view"') == 20
    assert "Page 1 of 2" in page
    second = text_of(applicant.get(reverse("certification:my-items"), {"page": 2}))
    assert first.number in second

    only_appeals = text_of(applicant.get(reverse("certification:my-items"), {"kind": "appeal"}))
    assert appeal.number in only_appeals and first.number not in only_appeals
    in_review = text_of(applicant.get(reverse("certification:my-items"), {"status": "association_review"}))
    assert appeal.number in in_review and first.number not in in_review
    found = text_of(applicant.get(reverse("certification:my-items"), {"q": first.number}))
    assert first.number in found and appeal.number not in found
    assert "Nothing matches" in text_of(applicant.get(reverse("certification:my-items"), {"q": "不存在"}))

    client.force_login(w.officer)  # reviewers have their own pages: this one is the applicant's only
    assert client.get(reverse("certification:application-detail", args=[first.pk])).status_code == 404
    assert client.get(reverse("certification:application-edit", args=[first.pk])).status_code == 404
    assert first.number not in text_of(client.get(reverse("certification:my-items")))


def test_exam_registrations_appear_in_my_items(applicant, w):
    from registration.models import Enrollment
    from tests.exams.factories import ExamFactory

    exam = ExamFactory(name="2025年认证人员注册全国统一考试")
    enrollment = Enrollment.objects.create(candidate=w.applicant, exam=exam, notice_accepted_at=timezone.now())
    page = text_of(applicant.get(reverse("certification:my-items")))
    assert "2025年认证人员注册全国统一考试" in page and "Exam registration" in page
    assert reverse("registration:enrollment-progress", args=[enrollment.pk]) in page


def test_the_timeline_names_roles_not_reviewers(applicant, w):
    app = complete(w)
    services.application_submit(app=app, actor=w.applicant)
    services.review(app=app, actor=w.officer, action="institution_approve")
    services.payment_confirm(app=app, actor=w.staff)
    judge = expert("judge")
    judge.name = "专家张三"
    judge.save()
    services.expert_assign(app=app, actor=w.staff, expert=judge)
    items = list(app.items.all())
    verdicts = {item.pk: (True, "") for item in items}
    verdicts[items[0].pk] = (False, "工作证明缺失")
    services.evaluation_submit(app=app, expert=judge, verdicts=verdicts, result="conforming")
    page = text_of(applicant.get(reverse("certification:application-detail", args=[app.pk])))
    assert "Expert" in page and "工作证明缺失" in page and "专家张三" not in page
    assert "Association" in page and "Payment received" in page
    assert "Fee: CNY 300.00." in page


def test_the_fee_waits_for_payment_with_a_link_to_the_fee_page(applicant, w):
    app = complete(w)
    services.application_submit(app=app, actor=w.applicant)
    page = text_of(applicant.get(reverse("certification:application-detail", args=[app.pk])))
    assert 'data-testid="pay"' not in page and "The fee is fixed after your institution's first review." in page
    services.review(app=app, actor=w.officer, action="institution_approve")
    page = text_of(applicant.get(reverse("certification:application-detail", args=[app.pk])))
    assert "Fee: CNY 300.00, waiting for your payment." in page
    assert f'href="{reverse("certification:fee", args=[app.pk])}" data-testid="pay"' in page


# --------------------------------------------------------------------------- 年度确认, transfer, certificates


def test_annual_confirmation_says_when_there_is_nothing_to_confirm(applicant, w):
    far = certificate_of(w, valid_until=timezone.localdate() + datetime.timedelta(days=400))
    page = text_of(applicant.get(reverse("certification:annual")))
    assert 'data-testid="nothing-to-confirm"' in page
    opens = far.valid_until - datetime.timedelta(days=90)
    assert f"Your next annual confirmation opens on {opens:%Y-%m-%d}." in page
    response = applicant.post(reverse("certification:annual"), {"certificate": far.pk})
    assert response.status_code == 302 and not Application.objects.exists()


def test_annual_confirmation_of_a_certificate_near_expiry(applicant, w):
    near = certificate_of(w)
    page = text_of(applicant.get(reverse("certification:annual")))
    assert near.number in page
    applicant.post(reverse("certification:annual"), {"certificate": near.pk})
    app = Application.objects.get(kind="annual")
    assert (app.certificate, app.track, app.institution) == (near, w.track, w.body)
    applicant.post(reverse("certification:annual"), {"certificate": near.pk})  # again: the same draft
    assert Application.objects.filter(kind="annual").count() == 1
    applicant.post(reverse("certification:application-edit", args=[app.pk]), {"action": "submit"})
    app.refresh_from_db()
    assert app.status == "institution_review"


def test_only_certified_persons_change_institution(applicant, w):
    page = text_of(applicant.get(reverse("certification:application-start", args=["transfer"])))
    assert 'data-testid="not-certified"' in page and "<form" not in page.split("<main")[-1].split("</main>")[0] \
        .split('data-testid="not-certified"')[1]
    certificate = certificate_of(w)
    page = text_of(applicant.get(reverse("certification:application-start", args=["transfer"])))
    assert "青岛示例认证有限公司" in page
    target_options = page.split('name="target_institution"')[1].split("</select>")[0]
    assert "济南示例认证有限公司" not in target_options  # not the one already practised at
    applicant.post(reverse("certification:application-start", args=["transfer"]),
                   {"certificate": certificate.pk, "target_institution": w.other_body.pk})
    app = Application.objects.get(kind="transfer")
    assert (app.institution, app.target_institution, app.certificate) == (w.body, w.other_body, certificate)
    applicant.post(reverse("certification:application-edit", args=[app.pk]), {
        "certificate": certificate.pk, "target_institution": w.other_body.pk, "action": "submit"})
    app.refresh_from_db()
    assert app.status == "transfer_out_review"


def test_my_certificates_say_their_status_in_words(applicant, w):
    certificate_of(w, number="QMS-2023-00000011")
    certificate_of(w, number="QMS-2020-00000029", valid_until=timezone.localdate() - datetime.timedelta(days=1))
    revoked = certificate_of(w, number="QMS-2021-0000003X")
    services.certificate_set_status(certificate=revoked, actor=w.staff, action="revoke", reason="违规执业")
    page = applicant.get(reverse("certification:my-certificates")).content.decode()

    def status_of(number):
        row = page.split(f'data-testid="certificate-{number}"')[1].split("</tr>")[0]
        return re.search(r'data-testid="certificate-status">([^<]*)<', row).group(1)

    assert status_of("QMS-2023-00000011") == "Valid"
    assert status_of("QMS-2020-00000029") == "Expired"
    assert status_of("QMS-2021-0000003X") == "Revoked" and "违规执业" in page
    assert reverse("certification:certificate-pdf", args=[revoked.pk]) in page
    assert reverse("verify:token", args=[revoked.token]) in page


def test_typed_audit_experience_counts_towards_the_requirements(applicant, w):
    app = draft(w)
    response = applicant.post(reverse("certification:item-add", args=[app.pk, "audit"]), {
        "organisation": "某食品公司", "field": w.track.field_id, "role": "member", "audited_on": "2024-03-01",
        "days": "12", "keep_in_library": "on"})
    assert response.status_code == 302
    item = app.items.get()
    assert item.data["days"] == "12" and item.data["field_id"] == w.track.field_id and item.source_id
    assert AuditExperience.objects.filter(person=w.applicant, organisation="某食品公司").exists()
    page = text_of(applicant.get(reverse("certification:application-edit", args=[app.pk])))
    assert "某食品公司" in page and "audit days" not in " ".join(
        re.findall(r"<li>(.*?)</li>", page.split('data-testid="pending-requirements"')[1].split("</ul>")[0]))
