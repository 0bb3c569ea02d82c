"""Staff set up seats and decide reviews in admin; every change goes through a service and is audited."""
import pytest
from django.urls import reverse

from core.models import AuditEntry
from exams.models import ReviewMode, SeatQuota, SeatRelease
from registration import services
from tests.registration.test_enrollment_services import ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create(username="boss", name="管理员", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_quota_capacity_bulk_edit_is_audited_and_cannot_go_below_taken(admin_client, exam, area, sittings):
    quota = SeatQuota.objects.get(exam=exam, area=area, sitting=sittings[0])
    SeatQuota.objects.filter(pk=quota.pk).update(held=10)
    changelist = reverse("admin:exams_seatquota_changelist")
    quotas = list(SeatQuota.objects.order_by("exam", "area__order", "area__name", "sitting__starts_at"))
    form = {"form-TOTAL_FORMS": str(len(quotas)), "form-INITIAL_FORMS": str(len(quotas)), "_save": "Save"}
    for i, q in enumerate(quotas):
        form[f"form-{i}-id"] = str(q.pk)
        form[f"form-{i}-capacity"] = str(q.capacity)
    index = quotas.index(quota)
    form[f"form-{index}-capacity"] = "5"  # below the 10 taken
    admin_client.post(changelist, form)
    assert SeatQuota.objects.get(pk=quota.pk).capacity == 120
    form[f"form-{index}-capacity"] = "150"
    admin_client.post(changelist, form)
    assert SeatQuota.objects.get(pk=quota.pk).capacity == 150
    assert AuditEntry.objects.filter(action="quota.capacity_set", object_id=str(quota.pk)).count() == 1


def test_release_added_in_admin_without_a_time_applies_at_once(admin_client, exam, area, sittings):
    quota = SeatQuota.objects.get(exam=exam, area=area, sitting=sittings[1])
    from django.utils import timezone

    now = timezone.localtime()
    response = admin_client.post(reverse("admin:exams_seatrelease_add"), {
        "quota": quota.pk, "seats": "20", "release_at_0": now.strftime("%Y-%m-%d"),
        "release_at_1": now.strftime("%H:%M:%S")})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SeatQuota.objects.get(pk=quota.pk).capacity == 120
    assert SeatRelease.objects.get().status == "applied"


def test_reject_review_action_asks_for_the_reason(admin_client, exam, sittings, area, candidate):
    exam.review_mode = ReviewMode.BEFORE_PAYMENT
    exam.save()
    enrollment = ready(candidate, exam, sittings, area)
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    url = reverse("admin:registration_enrollment_changelist")
    page = admin_client.post(url, {"action": "reject_review", "_selected_action": [enrollment.pk]})
    assert page.status_code == 200 and "note" in page.content.decode()
    admin_client.post(url, {"action": "reject_review", "_selected_action": [enrollment.pk], "apply": "1",
                            "note": "工作年限不足"})
    enrollment.refresh_from_db()
    assert enrollment.status == "review_rejected" and enrollment.review_note == "工作年限不足"
    page = admin_client.get(reverse("admin:registration_enrollment_change", args=[enrollment.pk]))
    assert page.status_code == 200
