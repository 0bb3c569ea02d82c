"""Demo history for `seed_demo`: the demo candidate registered and paid for the exam whose
registration has closed, through the real services (the clock is set back to inside its
window while doing so), and admission tickets were allocated."""
import datetime

from django.db import transaction

from exams.models import Area, Exam, Subject
from registration import services as registration_services
from registration.models import EnrollmentStatus

from . import services
from .models import OrderStatus


def seed(candidate, exam: Exam) -> None:
    if exam.enrollments.filter(candidate=candidate).exists():
        return
    register_and_pay(candidate, exam)
    with transaction.atomic():
        registration_services.tickets_allocate(exam=exam, actor=None)


def seed_scored(candidate, exam: Exam) -> None:
    """The exam already held: registered, paid, tickets allocated and scores out, so the candidate can
    ask for a score review (成绩复核) and the exam administrator decide it."""
    from registration.models import AdmissionTicket

    if exam.enrollments.filter(candidate=candidate).exists():
        return
    enrollment = register_and_pay(candidate, exam)
    with transaction.atomic():
        registration_services.tickets_allocate(exam=exam, actor=None)
        scores = {"GB": "58.0", "QMS": "72.5"}
        registration_services.scores_import(exam=exam, actor=None, rows=[
            {"ticket": ticket.number, "subject": ticket.subject.code, "score": scores.get(ticket.subject.code, "65.0")}
            for ticket in AdmissionTicket.objects.filter(enrollment=enrollment).select_related("subject")])


def register_and_pay(candidate, exam: Exam):
    """Register for an exam whose window has passed, inside that window, and pay: returns the enrollment."""
    import time_machine  # a test/demo dependency, like the sample photos

    with time_machine.travel(exam.registration_opens_at + datetime.timedelta(hours=2), tick=False):
        enrollment = registration_services.enrollment_start(candidate=candidate, exam=exam)
        registration_services.enrollment_save_info(enrollment=enrollment, actor=candidate, data={
            "nationality": "CN", "ethnicity": "01", "residence_city": "济南市历下区", "education_level": "bachelor",
            "mobile": candidate.mobile, "mailing_address": "济南市历下区经十路 16 号", "email": candidate.email,
            "invoice_wanted": True, "invoice_type": "personal"})
        sittings = list(exam.sittings.order_by("starts_at"))
        registration_services.enrollment_choose_subjects(enrollment=enrollment, actor=candidate, subject_by_sitting={
            sittings[0].pk: Subject.objects.get(exam=exam, code="GB").pk,
            sittings[1].pk: Subject.objects.get(exam=exam, code="QMS").pk})
        registration_services.enrollment_choose_area(enrollment=enrollment, actor=candidate,
                                                     area_id=Area.objects.get(name="济南").pk)
        registration_services.enrollment_confirm(enrollment=enrollment, actor=candidate)
        order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
        services.payment_record(provider="sandbox", trade_no=f"DEMO{order.number}", order_number=order.number,
                                amount=order.amount, source="query")
    order.refresh_from_db()
    enrollment.refresh_from_db()
    assert order.status == OrderStatus.PAID and enrollment.status == EnrollmentStatus.ENROLLED
    return enrollment
