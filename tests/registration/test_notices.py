"""A candidate whose qualification review is rejected is told the reason and what to do now, with a
link to the registration's progress page (SPEC G9)."""
import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from core.models import Notification
from exams.models import ReviewMode
from registration import services
from registration.exceptions import InvalidChoice
from tests.accounts.factories import UserFactory
from tests.registration.test_enrollment_services import ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_enrollment"))
    return staff


@pytest.fixture
def in_review(candidate, exam, sittings, area):
    exam.review_mode = ReviewMode.BEFORE_PAYMENT
    exam.save()
    enrollment = ready(candidate, exam, sittings, area)
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    assert enrollment.status == "in_review"
    return enrollment


def test_review_rejection_tells_the_candidate_why_and_what_to_do(in_review, reviewer, candidate, exam, logged_in, on_commit):
    with on_commit():
        services.enrollment_review_decide(enrollment=in_review, actor=reviewer, approve=False,
                                          note="学历不符合报考条件")
    notice = Notification.objects.get(recipient=candidate)
    progress = reverse("registration:enrollment-progress", args=[in_review.pk])
    assert notice.kind == "enrollment.review_rejected" and notice.url == progress
    assert notice.subject == f"资格审核未通过：{exam.name}"
    assert "原因：学历不符合报考条件" in notice.body and "修改报名信息后再次确认提交" in notice.body
    assert "Reason: 学历不符合报考条件" in notice.texts["en"]["body"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [candidate.email]

    page = logged_in.get(reverse("inbox:notification-detail", args=[notice.pk])).content.decode()
    assert "学历不符合报考条件" in page and f'href="{progress}"' in page
    assert logged_in.get(progress).status_code == 200  # the link opens the page to edit and confirm again


def test_approval_and_a_refused_rejection_send_nothing(in_review, reviewer, candidate, on_commit):
    with on_commit():
        with pytest.raises(InvalidChoice):
            services.enrollment_review_decide(enrollment=in_review, actor=reviewer, approve=False, note=" ")
        services.enrollment_review_decide(enrollment=in_review, actor=reviewer, approve=True)
    assert not Notification.objects.filter(recipient=candidate).exists() and mail.outbox == []
