"""Reads for the enrollment pages: one query set per page, access checks that 404."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from core.masking import mask_mobile
from exams import availability, catalogue
from exams.models import Area, Exam, ExamStatus, SeatQuota, Sitting

from .choices import ETHNICITIES, NATIONALITIES
from .models import (
    INACTIVE,
    AdmissionTicket,
    Enrollment,
    EnrollmentStatus,
    EnrollmentSubject,
    InvoiceType,
)


def enrollment_for_user(pk: int, user) -> Enrollment:
    """The candidate's own enrollment with its exam and area, or 404 (another candidate's id finds
    nothing). Every page of the wizard starts here."""
    enrollment = get_object_or_404(Enrollment.objects.select_related("exam", "area"), pk=pk, candidate_id=user.pk)
    enrollment.candidate = user  # the request's user is that row: no second load
    return enrollment


def active_enrollment(user, exam) -> Enrollment | None:
    return Enrollment.objects.filter(candidate=user, exam=exam).exclude(status__in=INACTIVE).first()


@dataclass
class ExamRow:
    exam: Exam
    enrollment: Enrollment | None
    is_open: bool

    @property
    def not_yet_open(self) -> bool:
        from django.utils import timezone

        return timezone.now() < self.exam.registration_opens_at


def exam_list(user) -> list[ExamRow]:
    """选择考试: published exams, newest first, with the candidate's active enrollment in each."""
    exams = list(Exam.objects.filter(status=ExamStatus.PUBLISHED).order_by("-registration_opens_at"))
    mine = {e.exam_id: e for e in Enrollment.objects.filter(candidate=user, exam__in=exams).exclude(
        status__in=INACTIVE)}
    return [ExamRow(exam=exam, enrollment=mine.get(exam.pk), is_open=exam.registration_is_open()) for exam in exams]


def enrollments_of(user):
    """Every enrollment of the candidate with its choices (the payment pages pick the paid ones)."""
    return (Enrollment.objects.filter(candidate=user).select_related("exam", "area")
            .prefetch_related(Prefetch("choices", EnrollmentSubject.objects.select_related("sitting", "subject")))
            .order_by("-created_at"))


def steps_done(enrollment: Enrollment) -> dict[str, bool]:
    """报考流程 (D6): which steps are finished. 网上缴费 is finished when the order is paid (the
    registration complete), not when the information is confirmed; a chosen area counts only while
    it is set (changing to other sittings clears it)."""
    return {"info": bool(enrollment.info_saved_at),
            "subjects": bool(enrollment.subjects_saved_at),
            "area": bool(enrollment.area_saved_at and enrollment.area_id),
            "payment": enrollment.status == EnrollmentStatus.ENROLLED}


@dataclass
class EnrollmentRecord:
    """One enrollment as 查看报考信息 (D8) shows it: what the candidate entered and chose, and the
    orders, payments, invoices, tickets and scores that followed."""

    enrollment: Enrollment
    choices: list[EnrollmentSubject]
    orders: list  # payments.Order, newest first, each with `invoice_record` and `refund_list`
    tickets: list[tuple]  # (ticket, score or None, latest review or None)
    can_print_form: bool
    can_print_tickets: bool

    @property
    def total(self) -> Decimal:
        return total_fee(self.choices)

    @property
    def invoices(self) -> list:
        return [order.invoice_record for order in self.orders if order.invoice_record]

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.enrollment.mobile)

    @property
    def nationality_label(self) -> str:
        return str(dict(NATIONALITIES).get(self.enrollment.nationality, self.enrollment.nationality))

    @property
    def ethnicity_label(self) -> str:
        return str(dict(ETHNICITIES).get(self.enrollment.ethnicity, self.enrollment.ethnicity))


def invoice_kind_label(kind: str) -> str:
    """个人 / 企业 in the interface language, for an invoice record (which keeps the code it was issued with)."""
    return str(InvoiceType(kind).label) if kind in InvoiceType.values else kind


def _one_to_one_or_none(obj, name: str):
    """A reverse one-to-one that may be missing (prefetched: no query)."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def enrollment_records(user) -> list[EnrollmentRecord]:
    """查看报考信息: every enrollment of the candidate, newest first, with everything that followed it,
    in a fixed number of queries however many there are. Orders, invoices and refunds belong to
    payments (an app above this one): read through the reverse relations, by name."""
    from . import states

    tickets = (AdmissionTicket.objects.filter(void=False).select_related("sitting", "subject", "venue", "score")
               .prefetch_related("reviews").order_by("sitting__starts_at"))
    enrollments = (Enrollment.objects.filter(candidate=user).select_related("exam", "area")
                   .prefetch_related(
                       Prefetch("choices", EnrollmentSubject.objects.select_related("sitting", "subject")
                                .order_by("sitting__starts_at")),
                       "orders__invoice", "orders__refunds",
                       Prefetch("tickets", tickets, to_attr="valid_tickets"))
                   .order_by("-created_at"))
    records = []
    for enrollment in enrollments:
        enrollment.candidate = user  # the request's user: no second load
        orders = list(enrollment.orders.all())
        for order in orders:
            order.invoice_record = _one_to_one_or_none(order, "invoice")
            if order.invoice_record:
                order.invoice_record.kind_label = invoice_kind_label(order.invoice_record.kind)
            order.refund_list = list(order.refunds.all())
        rows = []
        for ticket in enrollment.valid_tickets:
            reviews = list(ticket.reviews.all())  # newest first (the model's ordering)
            rows.append((ticket, _one_to_one_or_none(ticket, "score"), reviews[0] if reviews else None))
        records.append(EnrollmentRecord(
            enrollment=enrollment, choices=list(enrollment.choices.all()), orders=orders, tickets=rows,
            can_print_form=states.may_print_form(enrollment),
            can_print_tickets=states.may_print_tickets(enrollment, enrollment.valid_tickets)))
    return records


def education_of(user) -> list:
    """The candidate's education records (学历), newest first, as the account holds them."""
    return list(user.education_records.all())


def sittings_with_subjects(exam: Exam) -> list[Sitting]:
    """The exam's sittings with their subjects (`subject_list`), from the process's catalogue."""
    return catalogue.of(exam).sittings


def chosen_subjects(enrollment: Enrollment) -> list[EnrollmentSubject]:
    """For display: the choices with their sitting and subject from the catalogue (one small query);
    choices_of() reads fees from the database for what is charged."""
    ids = list(EnrollmentSubject.objects.filter(enrollment=enrollment).order_by().values_list("sitting_id", "subject_id"))
    known = catalogue.of(enrollment.exam)

    def listed(sitting_id, subject_id) -> bool:
        return sitting_id in known.sittings_by_id and subject_id in known.subjects

    if not all(listed(*pair) for pair in ids):
        known = catalogue.of(enrollment.exam, rebuild=True)  # added in admin within the last seconds
    choices = [EnrollmentSubject(enrollment=enrollment, sitting=known.sittings_by_id[sitting_id],
                                 subject=known.subjects[subject_id])
               for sitting_id, subject_id in ids if listed(sitting_id, subject_id)]  # no longer offered: not shown
    return sorted(choices, key=lambda choice: choice.sitting.starts_at)


def choices_of(enrollment: Enrollment) -> list[EnrollmentSubject]:
    """The choices with their sittings and subjects (fees) from the database, by sitting time."""
    return list(EnrollmentSubject.objects.filter(enrollment=enrollment).select_related("sitting", "subject")
                .order_by("sitting__starts_at"))


def total_fee(choices) -> Decimal:
    return sum((choice.subject.fee for choice in choices), Decimal("0.00"))


@dataclass
class AreaOption:
    area: Area
    seats: list[tuple[Sitting, int]]  # seats left per chosen sitting

    @property
    def available(self) -> bool:
        return bool(self.seats) and all(left > 0 for _sitting, left in self.seats)


class AreaOptions(list):
    """The options, and `version`: the same for the same sittings and seat figures (the key under
    which the page's area list and seats table are cached)."""

    version: int = 0


def area_options(exam: Exam, sittings: list[Sitting], *, province: str = "") -> AreaOptions:
    """Every area holding all the given sittings, with the seats left in each (cached figures);
    only `province`'s areas when one is given."""
    left = availability.seats_left(exam.pk)
    sitting_ids = {s.pk for s in sittings}
    areas_with: dict[int, set] = {}
    for area_id, sitting_id in left:
        if sitting_id in sitting_ids:
            areas_with.setdefault(area_id, set()).add(sitting_id)
    options = AreaOptions(AreaOption(area=area, seats=[(s, left[(area.pk, s.pk)]) for s in sittings])
                          for area in catalogue.of(exam).areas if areas_with.get(area.pk) == sitting_ids
                          and (not province or area.province == province))
    options.version = hash((exam.pk, tuple(s.pk for s in sittings),
                            tuple((o.area.pk, *(n for _s, n in o.seats)) for o in options)))
    return options


def enrollment_area_options(enrollment: Enrollment, sittings: list[Sitting]) -> AreaOptions:
    """The areas this registration may choose: where the exam has the candidate choose a province
    (报考省份), that province's only (the service refuses any other)."""
    province = enrollment.province if enrollment.exam.requires_province else ""
    return area_options(enrollment.exam, sittings, province=province)


def fresh_seats_left(exam: Exam, area_id: int, sitting_ids) -> dict[int, int]:
    """Seats left per sitting straight from the database (for decisions, not display)."""
    return dict(SeatQuota.objects.filter(exam=exam, area_id=area_id, sitting_id__in=list(sitting_ids))
                .with_seats_left().values_list("sitting_id", "seats_left"))


def photo_lock_reason(user) -> str | None:
    """Registered with photos.policy: once a registration window of the candidate has closed, the
    photo printed on that exam's documents may no longer change."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from .states import FORM_PRINTABLE  # the statuses whose documents carry the photo

    locked = Enrollment.objects.filter(
        candidate=user, exam__registration_closes_at__lte=timezone.now(), status__in=FORM_PRINTABLE).exists()
    return _("Registration has closed for an exam you registered for: your photo can no longer be changed.") \
        if locked else None


def tickets_of(enrollment: Enrollment):
    from .models import AdmissionTicket

    return list(AdmissionTicket.objects.filter(enrollment=enrollment, void=False)
                .select_related("sitting", "subject", "venue", "score").order_by("sitting__starts_at"))


def paid_order_of(enrollment: Enrollment):
    """The paid order, for the receipt on the registration form (orders belong to payments, which
    builds on this app: read through the reverse relation, by status value)."""
    return enrollment.orders.filter(status="paid").first()


def my_exams(user) -> list[dict]:
    """我的考试: every enrollment that got as far as confirmation, with tickets, scores and reviews."""
    from . import states
    from .models import EnrollmentStatus as S
    from .models import ScoreReview

    rows = []
    enrollments = (Enrollment.objects.filter(candidate=user)
                   .exclude(status__in=[S.DRAFT, S.WITHDRAWN]).select_related("exam", "area").order_by("-created_at"))
    for enrollment in enrollments:
        tickets = tickets_of(enrollment)
        reviews = {r.ticket_id: r for r in ScoreReview.objects.filter(ticket__in=tickets).order_by("created_at")}
        rows.append({"enrollment": enrollment, "tickets": [(t, getattr(t, "score", None), reviews.get(t.pk))
                                                           for t in tickets],
                     "can_print_ticket": states.may_print_tickets(enrollment, tickets),
                     "can_print_form": states.may_print_form(enrollment),
                     "can_review": states.may_request_score_review(enrollment, tickets)})
    return rows
