"""Enrollment rules at the service level: states, review, dishonest flag, province, seats."""
import pytest
from django.contrib.auth.models import Permission

from accounts import services as account_services
from core.models import AuditEntry
from exams.exceptions import SeatsExhausted
from exams.models import ExamStatus, ReviewMode, SeatQuota, Subject
from registration import services
from registration.exceptions import InvalidChoice, NoSeatsInArea, NotEditable, RegistrationClosed, TransitionRefused
from registration.models import EnrollmentSeat
from registration.states import transition
from tests.registration.conftest import INFO

pytestmark = pytest.mark.django_db


def info(**extra):
    data = {**INFO, "invoice_wanted": False, "invoice_type": "", "invoice_title": "", "invoice_tax_number": "",
            "province": "", "employer": ""}
    data.update(extra)
    return data


def ready(candidate, exam, sittings, area, *, second="QMS"):
    enrollment = services.enrollment_start(candidate=candidate, exam=exam)
    services.enrollment_save_info(enrollment=enrollment, actor=candidate, data=info())
    picks = {sittings[0].pk: Subject.objects.get(exam=exam, code="GB").pk,
             sittings[1].pk: Subject.objects.get(exam=exam, code=second).pk if second else None}
    services.enrollment_choose_subjects(enrollment=enrollment, actor=candidate, subject_by_sitting=picks)
    services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=area.pk)
    return enrollment


def test_confirm_without_review_goes_to_payment_and_is_audited(candidate, exam, sittings, area):
    enrollment = ready(candidate, exam, sittings, area)
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    assert enrollment.status == "confirmed"
    entry = AuditEntry.objects.filter(action="enrollment.confirmed", object_id=str(enrollment.pk)).get()
    assert entry.before == {"status": "draft"} and entry.actor == candidate


def test_review_before_payment_approve_and_reject_with_reason(candidate, exam, sittings, area):
    exam.review_mode = ReviewMode.BEFORE_PAYMENT
    exam.save()
    staff = candidate.__class__.objects.create(username="reviewer", name="审核员", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_enrollment"))
    enrollment = ready(candidate, exam, sittings, area)
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    assert enrollment.status == "in_review"
    with pytest.raises(InvalidChoice):
        services.enrollment_review_decide(enrollment=enrollment, actor=staff, approve=False, note=" ")
    services.enrollment_review_decide(enrollment=enrollment, actor=staff, approve=False, note="学历不符合报考条件")
    assert enrollment.status == "review_rejected" and enrollment.review_note == "学历不符合报考条件"
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)  # edited and confirmed again
    assert enrollment.status == "in_review"
    services.enrollment_review_decide(enrollment=enrollment, actor=staff, approve=True)
    assert enrollment.status == "confirmed"


def test_confirmation_can_be_taken_back_before_approval(candidate, exam, sittings, area):
    exam.review_mode = ReviewMode.BEFORE_PAYMENT
    exam.save()
    enrollment = ready(candidate, exam, sittings, area)
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    services.enrollment_withdraw_confirmation(enrollment=enrollment, actor=candidate)
    assert enrollment.status == "draft" and enrollment.confirmed_at is None


def test_dishonest_person_is_flagged_and_reviewed(candidate, exam, sittings, area):
    staff = candidate.__class__.objects.create(username="staff9", name="工作人员", is_staff=True)
    account_services.dishonest_record_save(actor=staff, id_number=candidate.id_number.lower(), name=candidate.name,
                                           reason="伪造审核记录", listed_until=None)
    enrollment = ready(candidate, exam, sittings, area)
    assert enrollment.dishonest_flag
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    assert enrollment.status == "in_review"


def test_province_is_required_where_the_exam_asks_for_it(candidate, exam):
    exam.requires_province = True
    exam.save()
    enrollment = services.enrollment_start(candidate=candidate, exam=exam)
    with pytest.raises(InvalidChoice):
        services.enrollment_save_info(enrollment=enrollment, actor=candidate, data=info())
    services.enrollment_save_info(enrollment=enrollment, actor=candidate, data=info(province="37"))
    assert enrollment.province == "37"


def test_unpublished_exam_cannot_be_started(candidate, exam):
    exam.status = ExamStatus.DRAFT
    exam.save()
    with pytest.raises(RegistrationClosed):
        services.enrollment_start(candidate=candidate, exam=exam)


def test_illegal_and_stale_transitions_are_refused(candidate, exam, sittings, area):
    enrollment = ready(candidate, exam, sittings, area)
    with pytest.raises(TransitionRefused):
        transition(enrollment, "enrolled", actor=candidate)
    stale = enrollment.__class__.objects.get(pk=enrollment.pk)
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    with pytest.raises(TransitionRefused):  # the copy still believes it is a draft
        transition(stale, "confirmed", actor=candidate)


def test_seats_take_and_give_back_keep_the_books(candidate, exam, sittings, area):
    enrollment = ready(candidate, exam, sittings, area)
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    quota_ids = services.enrollment_seats_take(enrollment=enrollment, actor=candidate)
    assert enrollment.status == "pending_payment"
    assert sorted(SeatQuota.objects.filter(pk__in=quota_ids).values_list("held", flat=True)) == [1, 1]
    assert EnrollmentSeat.objects.filter(enrollment=enrollment).count() == 2
    with pytest.raises(NotEditable):
        services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=area.pk)
    services.enrollment_seats_give_back(enrollment=enrollment, actor=candidate, reason="order cancelled")
    assert enrollment.status == "confirmed"
    assert sorted(SeatQuota.objects.filter(pk__in=quota_ids).values_list("held", flat=True)) == [0, 0]
    assert not EnrollmentSeat.objects.filter(enrollment=enrollment).exists()


def test_seats_take_when_the_area_filled_up_takes_nothing(candidate, exam, sittings, area):
    enrollment = ready(candidate, exam, sittings, area)
    services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    SeatQuota.objects.filter(exam=exam, area=area, sitting=sittings[1]).update(held=100)  # 100 of 100
    with pytest.raises((NoSeatsInArea, SeatsExhausted)):
        services.enrollment_seats_take(enrollment=enrollment, actor=candidate)
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    assert SeatQuota.objects.get(exam=exam, area=area, sitting=sittings[0]).held == 0
