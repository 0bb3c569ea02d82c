"""Association staff in Django admin (SPEC G1, G4, G7, G8, G10): queues per stage, the read-only
application page, the chain's decisions as actions, bulk expert assignment with conflict-of-interest
refusals named per application, reassignment, certificate status with a reason, audited track edits."""
import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from certification import services
from certification.models import Application, Certificate, Evidence, ItemKind, Track
from core.models import Assignment, AuditEntry
from tests.certification.factories import expert, world
from tests.certification.test_review_pages import (
    another_applicant,
    at_association,
    submitted,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:certification_application_changelist"


@pytest.fixture
def w():
    return world()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def staff_client(w) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(w.staff)
    return client


def act(client, action: str, apps, **extra):
    return client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [str(a.pk) for a in apps],
                                             "index": "0", **extra}, follow=True)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_queues_filter_by_stage_and_search_finds_the_applicant(w):
    waiting = at_association(w)
    other = submitted(w, applicant=another_applicant(w, "second", "第二申请人"))
    client = staff_client(w)
    page = client.get(reverse(CHANGELIST), {"queue": "association"}).content.decode()
    assert waiting.number in page and other.number not in page
    page = client.get(reverse(CHANGELIST), {"queue": "institution"}).content.decode()
    assert other.number in page and waiting.number not in page
    page = client.get(reverse(CHANGELIST), {"q": "第二申请人"}).content.decode()
    assert other.number in page and waiting.number not in page
    page = client.get(reverse(CHANGELIST), {"status__exact": "association_review",
                                             "track__field__id__exact": w.track.field_id}).content.decode()
    assert waiting.number in page and other.number not in page


def test_the_waiting_filter_finds_the_old_ones(w):
    app = at_association(w)
    fresh = submitted(w, applicant=another_applicant(w, "second", "第二申请人"))
    Application.objects.filter(pk=app.pk).update(updated_at=timezone.now() - datetime.timedelta(days=8))
    page = staff_client(w).get(reverse(CHANGELIST), {"waiting": "7"}).content.decode()
    assert app.number in page and fresh.number not in page


def test_the_application_page_is_read_only_with_snapshot_items_evidence_and_history(w):
    app = at_association(w)
    item = app.items.get(kind=ItemKind.TRAINING)
    evidence = Evidence(application=app, item=item, name="培训证明.pdf", content_type="application/pdf",
                        uploaded_by=w.applicant)
    evidence.file.save("proof.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    w.work.employer = "改名后的公司"
    w.work.save()
    page = staff_client(w).get(reverse("admin:certification_application_change", args=[app.pk])).content.decode()
    assert "济南示例认证有限公司" in page and "改名后的公司" not in page  # as submitted
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    link = reverse("certification:evidence", args=[evidence.pk])
    assert f'href="{link}"' in page and "培训证明.pdf" in page
    assert "Institution review → Waiting for payment" in page  # the history, in words
    assert 'data-testid="decision-approve"' in page and 'data-testid="decision-assign_expert"' in page
    assert 'data-testid="decision-decide"' not in page  # a registration is approved, not decided
    download = staff_client(w).get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_bulk_assignment_assigns_the_others_and_names_the_conflict(w):
    first = at_association(w)  # of 济南示例认证
    second = submitted(w, applicant=another_applicant(w, "second", "第二申请人", institution=w.other_body))
    services.review(app=second, actor=w.other_officer, action="institution_approve")
    second.refresh_from_db()
    services.payment_confirm(app=second, actor=w.staff)
    colleague = expert("colleague", w.body)  # practises at 济南示例认证: may not evaluate the first
    due = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    response = act(staff_client(w), "assign_expert", [first, second], apply="1", expert=str(colleague.pk),
                   due_on=due)
    messages = texts(response)
    assert any(first.number in m and "belongs to an institution concerned" in m for m in messages)
    assert any("1 assigned to" in m and second.number in m for m in messages)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "association_review" and second.status == "expert_evaluation"
    assignment = Assignment.objects.get(assignee=colleague, done_at__isnull=True)
    assert assignment.object_id == str(second.pk)
    assert timezone.localtime(assignment.due_at).date().isoformat() == due


def test_assignment_asks_for_the_expert_first(w):
    app = at_association(w)
    response = act(staff_client(w), "assign_expert", [app])
    assert response.status_code == 200 and 'name="expert"' in response.content.decode()
    app.refresh_from_db()
    assert app.status == "association_review"


def test_an_overdue_evaluation_is_reassigned(w):
    app = at_association(w)
    late, fresh = expert("late"), expert("fresh")
    services.expert_assign(app=app, actor=w.staff, expert=late, due_at=timezone.now() - datetime.timedelta(days=2))
    client = staff_client(w)
    assert app.number in client.get(reverse(CHANGELIST), {"queue": "overdue"}).content.decode()
    act(client, "reassign_expert", [app], apply="1", expert=str(fresh.pk))
    assert not Assignment.objects.filter(assignee=late, done_at__isnull=True).exists()
    assert Assignment.objects.filter(assignee=fresh, done_at__isnull=True).exists()
    app.refresh_from_db()
    assert app.status == "expert_evaluation"


def test_approval_in_admin_issues_the_certificate(w):
    app = at_association(w)
    act(staff_client(w), "approve", [app])
    app.refresh_from_db()
    assert app.status == "approved"
    assert Certificate.objects.filter(holder=w.applicant, track=w.track).exists()


def test_a_complaint_is_decided_with_the_opinion_as_the_reason(w):
    app = services.application_create(applicant=w.applicant, kind="complaint", title="投诉",
                                      content="审核员迟到", respondent="某机构")
    services.application_submit(app=app, actor=w.applicant)
    client = staff_client(w)
    asked = act(client, "decide", [app])
    assert 'name="reason"' in asked.content.decode()  # the opinion is asked for first
    app.refresh_from_db()
    assert app.status == "association_review"
    act(client, "decide", [app], apply="1", reason="经核查，已责令整改。")
    app.refresh_from_db()
    assert (app.status, app.opinion) == ("closed", "经核查，已责令整改。")


def test_return_and_reject_need_a_reason(w):
    app = at_association(w)
    client = staff_client(w)
    act(client, "return", [app], apply="1", reason="")
    app.refresh_from_db()
    assert app.status == "association_review"
    act(client, "return", [app], apply="1", reason="请补充审核日志")
    app.refresh_from_db()
    assert app.status == "returned"


def test_staff_confirm_a_payment(w):
    app = submitted(w)
    services.review(app=app, actor=w.officer, action="institution_approve")
    act(staff_client(w), "confirm_payment", [app])
    app.refresh_from_db()
    assert app.status == "association_review"


def test_a_certificate_is_revoked_with_a_reason(w):
    today = timezone.localdate()
    certificate = Certificate.objects.create(number="QMS-2023-00000011", holder=w.applicant, track=w.track,
                                             institution=w.body, issued_on=today - datetime.timedelta(days=10),
                                             valid_until=today + datetime.timedelta(days=900))
    client = staff_client(w)
    url = reverse("admin:certification_certificate_changelist")
    client.post(url, {"action": "revoke", "_selected_action": [certificate.pk], "index": "0", "apply": "1",
                      "reason": "以欺骗手段取得"})
    certificate.refresh_from_db()
    assert (certificate.status, certificate.status_reason) == ("revoked", "以欺骗手段取得")
    page = client.get(url, {"shown": "revoked"}).content.decode()
    assert certificate.number in page


def test_track_edits_are_audited(w):
    client = staff_client(w)
    url = reverse("admin:certification_track_change", args=[w.track.pk])
    response = client.post(url, {"field": w.track.field_id, "level": w.track.level_id, "exam_subject_codes": "",
                                 "pass_mark": "60.0", "min_audit_days": "10", "min_training_hours": "40",
                                 "fee": "350.00", "annual_fee": "100.00", "validity_years": "3"})
    assert response.status_code == 302
    assert Track.objects.get(pk=w.track.pk).fee == 350
    entry = AuditEntry.objects.get(action="certification.track_changed")
    assert entry.before == {"fee": "300.00"} and entry.after == {"fee": "350.00"}
    assert entry.actor == w.staff


def voucher_for(app, w):
    from certification.models import PaymentVoucher

    voucher = PaymentVoucher(application=app, amount=app.fee, uploaded_by=w.applicant)
    voucher.file.save("voucher.pdf", ContentFile(b"%PDF-1.4 voucher"), save=True)
    return voucher


def test_a_voucher_is_confirmed_or_rejected_in_admin(w):
    app = submitted(w)
    services.review(app=app, actor=w.officer, action="institution_approve")
    app.refresh_from_db()
    voucher = voucher_for(app, w)
    client = staff_client(w)
    url = reverse("admin:certification_paymentvoucher_changelist")
    page = client.get(reverse("admin:certification_paymentvoucher_change", args=[voucher.pk])).content.decode()
    assert reverse("certification:voucher-file", args=[voucher.pk]) in page and 'name="_save"' not in page
    client.post(url, {"action": "reject", "_selected_action": [voucher.pk], "index": "0", "apply": "1",
                      "reason": "金额不符"})
    voucher.refresh_from_db()
    assert (voucher.status, voucher.reason) == ("rejected", "金额不符")
    second = voucher_for(app, w)
    assert app.number in client.get(reverse(CHANGELIST), {"queue": "voucher"}).content.decode()
    client.post(url, {"action": "confirm", "_selected_action": [second.pk], "index": "0"})
    second.refresh_from_db()
    app.refresh_from_db()
    assert second.status == "confirmed" and app.status == "association_review"
    assert app.number in client.get(reverse(CHANGELIST), {"queue": "association"}).content.decode()


def test_staff_return_an_application_with_a_reason_per_item(w):
    app = at_association(w)
    item = app.items.get(kind=ItemKind.TRAINING)
    client = staff_client(w)
    change = client.get(reverse("admin:certification_application_change", args=[app.pk])).content.decode()
    url = reverse("admin:certification_application_return", args=[app.pk])
    assert f'href="{url}"' in change
    refused = client.post(url, {"decision": "return", "reason": ""})
    assert refused.status_code == 200 and "Give the reason" in refused.content.decode()
    app.refresh_from_db()
    assert app.status == "association_review"
    response = client.post(url, {"decision": "return", f"item_{item.pk}": "培训学时证明缺失"})
    assert response.status_code == 302
    app.refresh_from_db()
    item.refresh_from_db()
    assert app.status == "returned" and item.return_reason == "培训学时证明缺失"
    # Returned: nothing more to return, the page says so instead of offering it.
    again = client.get(url, follow=True)
    assert "cannot be returned now" in again.content.decode()
