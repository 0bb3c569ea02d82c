"""Enrollment: the wizard's steps and the seats an enrollment occupies. Each function locks the
enrollment row first, so a double-click or two tabs cannot interleave."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import is_listed_dishonest
from core.audit import audit_log
from exams import services as exam_services
from exams.exceptions import SeatsExhausted
from exams.models import Area, ReviewMode, SeatQuota, Sitting

from .. import selectors
from ..exceptions import InvalidChoice, NoSeatsInArea, NotEditable, RegistrationClosed, StepMissing
from ..models import AdmissionTicket, Enrollment, EnrollmentSeat, EnrollmentStatus, EnrollmentSubject, SeatState
from ..states import ENROLLMENT

S = EnrollmentStatus
INFO_FIELDS = ("province", "nationality", "ethnicity", "residence_city", "education_level", "employer", "mobile",
               "mailing_address", "email", "invoice_wanted", "invoice_type", "invoice_title", "invoice_tax_number")


def _lock(enrollment: Enrollment) -> Enrollment:
    """The enrollment read afresh with its exam and candidate, its row locked until the caller's
    transaction ends (on PostgreSQL, Django refuses select_for_update outside one). of=("self",):
    this row only, never the exam row every candidate shares. Every step and seat take starts here."""
    return (Enrollment.objects.select_for_update(of=("self",)).select_related("exam", "candidate")
            .get(pk=enrollment.pk))


def enrollment_lock(enrollment: Enrollment) -> Enrollment:
    """Inside the caller's transaction: the enrollment's row locked until it ends, read afresh
    (with its exam and candidate). What enrollment_seats_take(locked=True) expects."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enrollment_lock() runs inside the caller's transaction")
    return _lock(enrollment)


def _ensure_open(exam) -> None:
    if not exam.registration_is_open():
        raise RegistrationClosed()


def _ensure_editable(enrollment: Enrollment) -> None:
    _ensure_open(enrollment.exam)
    if not enrollment.is_editable:
        raise NotEditable()


def _back_to_draft(enrollment: Enrollment, actor) -> None:
    """A change after confirmation needs a new confirmation."""
    if enrollment.status in (S.CONFIRMED, S.REVIEW_REJECTED):
        ENROLLMENT.perform(enrollment, "edit", actor=actor, fields={"confirmed_at": None})


def _check_area_in_province(enrollment: Enrollment, area: Area | None = None) -> None:
    """Where the exam has the candidate choose a province (报考省份), the area is one of that province's:
    a registration of 山东 sits in 山东 and is reviewed there. `area`: the one chosen now (else the
    enrollment's, read only for such exams)."""
    if not (enrollment.exam.requires_province and enrollment.province):
        return
    area = area or enrollment.area
    if area is not None and area.province != enrollment.province:
        raise InvalidChoice(_("%(area)s is not in %(province)s, the province you register in: choose an area of "
                              "that province.") % {"area": area.name, "province": enrollment.get_province_display()},
                            field="area")


def enrollment_start(*, candidate, exam) -> Enrollment:
    """Accept the notice (考生须知) and open an enrollment; returns the active one if it exists."""
    _ensure_open(exam)
    existing = selectors.active_enrollment(candidate, exam)
    if existing:
        return existing
    education = candidate.education_records.order_by("-graduated_on").first()
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                candidate=candidate, exam=exam, notice_accepted_at=timezone.now(),
                mobile=candidate.mobile, email=candidate.email, nationality="CN",
                education_level=education.level if education else "",
                dishonest_flag=is_listed_dishonest(candidate),
            )
            audit_log(actor=candidate, action="enrollment.started", obj=enrollment,
                      after={"exam": exam.pk, "notice_accepted_at": enrollment.notice_accepted_at,
                             "dishonest_flag": enrollment.dishonest_flag})
    except IntegrityError:  # the same candidate clicked twice: the other request created it
        return selectors.active_enrollment(candidate, exam)
    return enrollment


def enrollment_save_info(*, enrollment: Enrollment, actor, data: dict) -> None:
    """填写报名信息: save the registration information (D3)."""
    with transaction.atomic():
        locked = _lock(enrollment)
        _ensure_editable(locked)
        if locked.exam.requires_province and not data.get("province"):
            raise InvalidChoice(_("Choose the province you register in."), field="province")
        before = {name: getattr(locked, name) for name in INFO_FIELDS}
        values = {name: data.get(name, getattr(locked, name)) for name in INFO_FIELDS}
        if not values["invoice_wanted"]:
            values.update(invoice_type="", invoice_title="", invoice_tax_number="")
        elif values["invoice_type"] == "personal":
            values.update(invoice_title=locked.candidate.name, invoice_tax_number="")
        if locked.exam.requires_province and locked.area_id and values["province"] != locked.province:
            values.update(area=None, area_saved_at=None)  # another province: its area is chosen again
        Enrollment.objects.filter(pk=locked.pk).update(info_saved_at=timezone.now(), **values)
        _back_to_draft(locked, actor)
        audit_log(actor=actor, action="enrollment.info_saved", obj=locked, before=before, after=values)
    enrollment.refresh_from_db()


def enrollment_choose_subjects(*, enrollment: Enrollment, actor, subject_by_sitting: dict[int, int | None]) -> None:
    """选择科目: at most one subject per sitting, each offered in that sitting; at least one."""
    with transaction.atomic():
        locked = _lock(enrollment)
        _ensure_editable(locked)
        if not locked.info_saved_at:
            raise StepMissing(_("Fill in the registration information first."))
        sittings = {s.pk: s for s in Sitting.objects.filter(exam=locked.exam).prefetch_related("subjects")}
        chosen = {}
        for sitting_id, subject_id in subject_by_sitting.items():
            if sitting_id not in sittings:
                raise InvalidChoice(_("That sitting does not belong to this exam."))
            if subject_id is None:
                continue
            if subject_id not in {s.pk for s in sittings[sitting_id].subjects.all()}:
                raise InvalidChoice(_("That subject is not offered in %(sitting)s.")
                                    % {"sitting": sittings[sitting_id].name})
            chosen[sitting_id] = subject_id
        if not chosen:
            raise InvalidChoice(_("Choose at least one subject."))
        before = {c.sitting_id: c.subject_id for c in locked.choices.all()}
        locked.choices.all().delete()
        EnrollmentSubject.objects.bulk_create(
            [EnrollmentSubject(enrollment=locked, sitting_id=sitting_id, subject_id=subject_id)
             for sitting_id, subject_id in sorted(chosen.items())])
        fields = {"subjects_saved_at": timezone.now()}
        if set(before) != set(chosen):  # other sittings: the area must be chosen again for them
            fields.update(area=None, area_saved_at=None)
        Enrollment.objects.filter(pk=locked.pk).update(**fields)
        _back_to_draft(locked, actor)
        audit_log(actor=actor, action="enrollment.subjects_chosen", obj=locked, before={"subjects": before},
                  after={"subjects": chosen})
    enrollment.refresh_from_db()


def _seat_problem(enrollment: Enrollment, area_id: int) -> NoSeatsInArea | None:
    """None when the area has a free seat now in every chosen sitting (database figures)."""
    sitting_ids = list(enrollment.choices.values_list("sitting_id", flat=True))
    left = selectors.fresh_seats_left(enrollment.exam, area_id, sitting_ids)
    if set(left) != set(sitting_ids):
        raise InvalidChoice(_("This area does not hold all of your sittings. Choose another area."), field="area")
    full = [sitting_id for sitting_id, seats in left.items() if seats <= 0]
    if not full:
        return None
    full_names = [s.name for s in Sitting.objects.filter(pk__in=full).order_by("starts_at")]
    sittings = list(Sitting.objects.filter(pk__in=sitting_ids))
    alternatives = [option.area.name for option in selectors.enrollment_area_options(enrollment, sittings)
                    if option.available and option.area.pk != area_id]
    message = _("No seats are left in this area for: %(sittings)s.") % {"sittings": "、".join(full_names)}
    if alternatives:
        message += " " + _("Areas with seats now: %(areas)s.") % {"areas": "、".join(alternatives)}
    return NoSeatsInArea(message, full_sittings=full_names, alternatives=alternatives)


def enrollment_choose_area(*, enrollment: Enrollment, actor, area_id: int) -> None:
    """选择考区: only an area with a free seat in every chosen sitting right now."""
    with transaction.atomic():
        locked = _lock(enrollment)
        _ensure_editable(locked)
        if not locked.subjects_saved_at:
            raise StepMissing(_("Choose your subjects first."))
        area = Area.objects.filter(pk=area_id).first()
        if area is None:
            raise InvalidChoice(_("Choose an area from the list."), field="area")
        _check_area_in_province(locked, area)
        problem = _seat_problem(locked, area_id)
        if problem:
            raise problem
        before = {"area": locked.area_id}
        Enrollment.objects.filter(pk=locked.pk).update(area_id=area_id, area_saved_at=timezone.now())
        _back_to_draft(locked, actor)
        audit_log(actor=actor, action="enrollment.area_chosen", obj=locked, before=before, after={"area": area_id})
    enrollment.refresh_from_db()


def enrollment_confirm(*, enrollment: Enrollment, actor) -> None:
    """我确认以上报考信息无误: to payment, or to qualification review where the exam or the
    dishonest-person list requires it."""
    with transaction.atomic():
        locked = _lock(enrollment)
        _ensure_open(locked.exam)
        if locked.status not in (S.DRAFT, S.REVIEW_REJECTED):
            raise NotEditable(_("This registration is already confirmed."))
        if not (locked.info_saved_at and locked.subjects_saved_at and locked.area_saved_at):
            raise StepMissing(_("Finish every step before confirming."))
        _check_area_in_province(locked)
        problem = _seat_problem(locked, locked.area_id)
        if problem:
            raise problem
        needs_review = locked.exam.review_mode == ReviewMode.BEFORE_PAYMENT or locked.dishonest_flag
        target = S.IN_REVIEW if needs_review else S.CONFIRMED
        if locked.status == S.REVIEW_REJECTED and target == S.CONFIRMED:
            ENROLLMENT.perform(locked, "edit", actor=actor)
        ENROLLMENT.perform(locked, "submit_for_review" if target == S.IN_REVIEW else "confirm", actor=actor,
                           fields={"confirmed_at": timezone.now()})
    enrollment.refresh_from_db()


def enrollment_withdraw_confirmation(*, enrollment: Enrollment, actor) -> None:
    """Before review approval the candidate may take the confirmation back and edit (D10)."""
    with transaction.atomic():
        locked = _lock(enrollment)
        _ensure_open(locked.exam)
        if locked.status != S.IN_REVIEW:
            raise NotEditable(_("Only a registration waiting for review can be taken back."))
        ENROLLMENT.perform(locked, "take_back", actor=actor, fields={"confirmed_at": None})
    enrollment.refresh_from_db()


def enrollment_review_decide(*, enrollment: Enrollment, actor, approve: bool, note: str = "") -> None:
    """Staff decide a qualification review; a rejection carries the reason the candidate sees."""
    with transaction.atomic():
        locked = _lock(enrollment)
        if approve:
            ENROLLMENT.perform(locked, "approve_review", actor=actor, reason=note, fields={"review_note": note})
        else:
            if not note.strip():
                raise InvalidChoice(_("Give the reason for the rejection."), field="note")
            ENROLLMENT.perform(locked, "reject_review", actor=actor, reason=note, fields={"review_note": note})
    enrollment.refresh_from_db()


def enrollment_withdraw(*, enrollment: Enrollment, actor) -> None:
    """放弃报名 / 删除报名信息: give up an enrollment that holds no seat; a new one may start."""
    with transaction.atomic():
        locked = _lock(enrollment)
        if locked.status not in (S.DRAFT, S.CONFIRMED, S.IN_REVIEW, S.REVIEW_REJECTED):
            raise NotEditable(_("A registration with an order cannot be withdrawn here."))
        ENROLLMENT.perform(locked, "withdraw", actor=actor)
    enrollment.refresh_from_db()


# --------------------------------------------------------------------------- seats (for payments)


def _chosen_quotas(enrollment: Enrollment, area_id: int | None, sitting_ids=None) -> list[tuple[int, int]]:
    """(quota id, seats left now) per chosen sitting in the area, by quota id. `sitting_ids`: the
    chosen sittings, when the caller has read the choices already."""
    if sitting_ids is None:
        sitting_ids = list(EnrollmentSubject.objects.filter(enrollment=enrollment).order_by()
                           .values_list("sitting_id", flat=True))
    rows = list(SeatQuota.objects.filter(exam_id=enrollment.exam_id, area_id=area_id, sitting_id__in=sitting_ids)
                .with_seats_left().order_by("pk").values_list("pk", "seats_left"))
    if len(rows) != len(set(sitting_ids)):
        raise InvalidChoice(_("This area does not hold all of your sittings. Choose another area."), field="area")
    return rows


def _quota_ids(enrollment: Enrollment, area_id: int) -> list[int]:
    return [quota for quota, _left in _chosen_quotas(enrollment, area_id)]


def enrollment_seats_check(*, enrollment: Enrollment, choices=None) -> list[int]:
    """Before an order is written: the quotas its seats would take, or a refusal at once when a
    chosen sitting is already full in the area (the message names it and the areas with seats).
    `choices`: the enrollment's choices when the caller has them (selectors.choices_of).

    A look without locks, so that at a sold-out rush a refusal costs a read instead of an order's
    writes and their rollback; the seat take's conditional UPDATE still decides every other case."""
    quotas = _chosen_quotas(enrollment, enrollment.area_id,
                            None if choices is None else [choice.sitting_id for choice in choices])
    if any(left <= 0 for _quota, left in quotas):
        problem = _seat_problem(enrollment, enrollment.area_id)
        if problem:
            raise problem
    return [quota for quota, _left in quotas]


def enrollment_seats_refusal(enrollment: Enrollment) -> NoSeatsInArea | SeatsExhausted:
    """What to tell a candidate whose seat take found a sitting full: which sittings are full in
    their area now and which areas still have seats (database figures)."""
    return _seat_problem(enrollment, enrollment.area_id) or SeatsExhausted([])


def enrollment_seats_take(*, enrollment: Enrollment, actor, quota_ids: list[int] | None = None,
                          locked: bool = False) -> list[int]:
    """Hold one seat per chosen sitting in the chosen area, all or nothing (an order is created).

    Returns the quota ids. SeatsExhausted (or NoSeatsInArea) leaves the enrollment confirmed and
    nothing taken. The order's own path (payments.services.order_create) passes `locked=True` with
    the enrollment from enrollment_lock() and the `quota_ids` enrollment_seats_check() gave in the
    same transaction: then no second lock and no savepoints, and on SeatsExhausted the caller's
    transaction must roll back (the exception leaving its `atomic` block does that) before it asks
    enrollment_seats_refusal() what to tell the candidate."""
    with transaction.atomic(savepoint=not locked):
        target = enrollment if locked else _lock(enrollment)
        _ensure_open(target.exam)
        if target.status != S.CONFIRMED:
            raise NotEditable(_("Confirm your registration before paying."))
        if quota_ids is None:
            quota_ids = _quota_ids(target, target.area_id)
        EnrollmentSeat.objects.bulk_create([EnrollmentSeat(enrollment=target, quota_id=q) for q in quota_ids])
        ENROLLMENT.perform(target, "take_seats", actor=actor)
        # The quota rows are locked last, so they stay locked only until the commit: every other
        # write of this transaction is already done (a hot quota serves far more takes per second).
        try:
            exam_services.seats_take(quota_ids=quota_ids, exam_id=target.exam_id, savepoint=not locked)
        except SeatsExhausted:
            if locked:
                raise  # explained by the caller after its rollback: enrollment_seats_refusal()
            raise enrollment_seats_refusal(target) from None
    # No reload: inside the caller's transaction the quota rows stay locked until its commit.
    enrollment.status = target.status
    return quota_ids


def enrollment_seats_give_back(*, enrollment: Enrollment, actor, reason: str) -> None:
    """Give the held seats back (order cancelled or expired): the steps are editable again."""
    with transaction.atomic():
        locked = _lock(enrollment)
        seats = list(EnrollmentSeat.objects.filter(enrollment=locked, state=SeatState.HELD))
        EnrollmentSeat.objects.filter(pk__in=[seat.pk for seat in seats]).delete()
        ENROLLMENT.perform(locked, "give_back_seats", actor=actor, reason=reason)
        # Last, as in the seat take: the quota rows stay locked only until the commit.
        exam_services.seats_give_back(quota_ids=[seat.quota_id for seat in seats])
    enrollment.status = locked.status  # no reload: in the caller's transaction the quota rows are still locked


def _seats_of(enrollment: Enrollment, state: str) -> list[EnrollmentSeat]:
    return list(EnrollmentSeat.objects.filter(enrollment=enrollment, state=state).select_related("quota")
                .order_by("quota_id"))


def enrollment_seats_sell(*, enrollment: Enrollment, actor) -> None:
    """The order was paid: held seats become sold and the registration is complete (报名成功)."""
    with transaction.atomic():
        locked = _lock(enrollment)
        seats = _seats_of(locked, SeatState.HELD)
        EnrollmentSeat.objects.filter(pk__in=[seat.pk for seat in seats]).update(state=SeatState.SOLD)
        ENROLLMENT.perform(locked, "complete", actor=actor)
        # Last, as in the seat take: the quota rows stay locked only until the commit.
        exam_services.seats_sell(quota_ids=[seat.quota_id for seat in seats])
    enrollment.status = locked.status  # no reload: in the caller's transaction the quota rows are still locked


def enrollment_change_area(*, enrollment: Enrollment, actor, area_id: int) -> None:
    """更换考点城市: move every paid seat to another area in one step, only if each sitting has a
    free seat there; otherwise nothing changes and the error names the full sittings."""
    with transaction.atomic():
        locked = _lock(enrollment)
        _ensure_open(locked.exam)
        if locked.status != S.ENROLLED:
            raise NotEditable(_("Only a paid registration can change its exam city."))
        if area_id == locked.area_id:
            raise InvalidChoice(_("This is already your exam area."), field="area")
        area = Area.objects.filter(pk=area_id).first()
        if area is None:
            raise InvalidChoice(_("Choose an area from the list."), field="area")
        _check_area_in_province(locked, area)
        seats = _seats_of(locked, SeatState.SOLD)
        new_quotas = _quota_ids(locked, area_id)
        by_sitting = dict(SeatQuota.objects.filter(pk__in=new_quotas).values_list("sitting_id", "pk"))
        for seat in seats:
            EnrollmentSeat.objects.filter(pk=seat.pk).update(quota_id=by_sitting[seat.quota.sitting_id])
        ENROLLMENT.perform(locked, "change_city", actor=actor, fields={"area_id": area_id,
                                                                      "area_saved_at": timezone.now()},
                           audit_before={"area": locked.area_id}, audit_extra={"area": area_id})
        # Last, as in the seat take: the quota rows stay locked only until the commit. A full
        # sitting raises, and leaving this block undoes the writes above.
        try:
            exam_services.seats_move(from_quota_ids=[seat.quota_id for seat in seats], to_quota_ids=new_quotas)
        except SeatsExhausted:
            raise _seat_problem(locked, area_id) or SeatsExhausted(new_quotas)
    enrollment.status, enrollment.area_id = locked.status, area_id  # no reload while the caller's transaction holds the rows


def enrollment_refund_seats(*, enrollment: Enrollment, actor) -> None:
    """退费: the paid seats go back at once; the candidate may enroll again afterwards."""
    with transaction.atomic():
        locked = _lock(enrollment)
        seats = _seats_of(locked, SeatState.SOLD)
        EnrollmentSeat.objects.filter(pk__in=[seat.pk for seat in seats]).delete()
        AdmissionTicket.objects.filter(enrollment=locked, void=False).update(void=True)  # no seat, no ticket
        ENROLLMENT.perform(locked, "refund", actor=actor)
        # Last, as in the seat take: the quota rows stay locked only until the commit.
        exam_services.seats_give_back(quota_ids=[seat.quota_id for seat in seats], state=exam_services.SOLD)
    enrollment.status = locked.status  # no reload: in the caller's transaction the quota rows are still locked
