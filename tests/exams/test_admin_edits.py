"""Staff edits of an exam in admin (issue 13): windows and fees are saved through audited services,
and the status moves only through the workflow's actions (publish, take back, cancel with a reason)."""
import pytest
from django.urls import reverse

from core.models import AuditEntry
from exams import demo
from exams.models import Exam, ExamStatus, Subject
from tests.accounts.test_admin_edits import page_form
from tests.staff.conftest import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam_admin(client):
    client.force_login(staff_user("examadmin", groups=["exam_administrator"]))
    return client


def whole_minutes(exam):
    """The admin form shows times to the minute: start from such times, so only what the test changes differs."""
    fields = ("registration_opens_at", "registration_closes_at", "refund_opens_at", "refund_closes_at",
              "ticket_print_opens_at", "ticket_print_closes_at")
    Exam.objects.filter(pk=exam.pk).update(**{f: getattr(exam, f).replace(second=0, microsecond=0) for f in fields
                                              if getattr(exam, f)})


def test_a_window_and_a_fee_changed_in_admin_are_audited(exam_admin):
    exam = demo.seed()
    whole_minutes(exam)
    url = reverse("admin:exams_exam_change", args=[exam.pk])
    data = page_form(exam_admin, url)
    subject = Subject.objects.filter(exam=exam).order_by("pk").first()
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == str(subject.pk)
                 and k.startswith("subjects"))
    data[f"subjects-{index}-fee"] = "95.00"
    data["registration_closes_at_0"] = "2031-01-15"
    data["registration_closes_at_1"] = "17:00:00"
    response = exam_admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    subject.refresh_from_db()
    assert str(subject.fee) == "95.00"
    fee = AuditEntry.objects.get(action="subject.changed", object_id=str(subject.pk))
    assert fee.before == {"fee": "80.00"} and fee.after == {"fee": "95.00"}
    window = AuditEntry.objects.get(action="exam.changed", object_id=str(exam.pk))
    assert list(window.before) == ["registration_closes_at"]
    assert window.actor.username == "examadmin"


def test_the_status_is_not_a_field_of_an_existing_exam(exam_admin):
    exam = demo.seed()
    url = reverse("admin:exams_exam_change", args=[exam.pk])
    data = page_form(exam_admin, url)
    assert "status" not in data
    data["status"] = ExamStatus.CANCELLED  # a crafted POST
    assert exam_admin.post(url, data).status_code == 302
    exam.refresh_from_db()
    assert exam.status == ExamStatus.PUBLISHED


def test_publishing_and_cancelling_go_through_the_workflow(exam_admin):
    exam = demo.seed()
    Exam.objects.filter(pk=exam.pk).update(status=ExamStatus.DRAFT)
    changelist = reverse("admin:exams_exam_changelist")
    exam_admin.post(changelist, {"action": "publish", "index": "0", "_selected_action": [exam.pk]})
    exam.refresh_from_db()
    assert exam.status == ExamStatus.PUBLISHED
    assert AuditEntry.objects.filter(action="exam.published", object_id=str(exam.pk)).count() == 1

    page = exam_admin.post(changelist, {"action": "cancel", "index": "0", "_selected_action": [exam.pk]})
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()  # asks why first
    exam_admin.post(changelist, {"action": "cancel", "index": "0", "_selected_action": [exam.pk], "apply": "1",
                                 "reason": "考点不可用"})
    exam.refresh_from_db()
    assert exam.status == ExamStatus.CANCELLED
    entry = AuditEntry.objects.get(action="exam.cancelled", object_id=str(exam.pk))
    assert entry.after["reason"] == "考点不可用"


def test_a_publication_with_registrations_cannot_be_taken_back(exam_admin):
    from registration.models import Enrollment
    from tests.accounts.factories import UserFactory

    exam = demo.seed()
    from django.utils import timezone

    Enrollment.objects.create(candidate=UserFactory(), exam=exam, notice_accepted_at=timezone.now())
    exam_admin.post(reverse("admin:exams_exam_changelist"),
                    {"action": "unpublish", "index": "0", "_selected_action": [exam.pk]})
    exam.refresh_from_db()
    assert exam.status == ExamStatus.PUBLISHED
