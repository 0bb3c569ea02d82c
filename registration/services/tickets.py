"""准考证: after registration closes, paid candidates get a venue, a room and a seat per sitting.

Deterministic and re-runnable: candidates are placed in enrollment order into the free seats in
venue, room and seat order; an existing ticket is never moved, a refunded candidate's ticket is
voided and its seat is not handed out again (its number stays unique)."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from exams.models import Exam, SeatQuota, Venue

from ..exceptions import InvalidChoice, NotAllowed
from ..models import AdmissionTicket, EnrollmentSeat, EnrollmentStatus, EnrollmentSubject, SeatState


ALLOCATE_PERMISSION = "registration.add_admissionticket"


def ticket_number(exam: Exam, area_id: int, sitting_index: int, venue_index: int, room: int, seat: int) -> str:
    """Exam (4) + area (3) + sitting (1) + venue (2) + room (3) + seat (2): 15 digits."""
    return f"{exam.pk % 10000:04d}{area_id % 1000:03d}{sitting_index % 10}{venue_index % 100:02d}{room:03d}{seat:02d}"


def tickets_allocate(*, exam: Exam, actor) -> dict:
    """Allocate every paid candidate without a ticket; returns counts (created, voided, unplaced).
    `actor`: a holder of registration.add_admissionticket (exam administrators), or None for the system."""
    if actor is not None and not actor.has_perm(ALLOCATE_PERMISSION):
        raise NotAllowed(_("Allocating admission tickets needs the permission to add admission tickets "
                           "(exam administrators)."))
    if exam.registration_is_open():
        raise InvalidChoice(_("Tickets are allocated after registration has closed."))
    created, unplaced = 0, 0
    with transaction.atomic():
        Exam.objects.select_for_update().get(pk=exam.pk)  # one allocation run at a time per exam
        voided = (AdmissionTicket.objects.filter(enrollment__exam=exam, void=False)
                  .exclude(enrollment__status=EnrollmentStatus.ENROLLED).update(void=True))
        sittings = list(exam.sittings.order_by("starts_at"))
        for index, sitting in enumerate(sittings, start=1):
            for quota in SeatQuota.objects.filter(exam=exam, sitting=sitting).select_related("area").order_by("area_id"):
                venues = list(Venue.objects.filter(area=quota.area).order_by("pk"))
                used = set(AdmissionTicket.objects.filter(sitting=sitting, venue__in=venues)
                           .values_list("venue_id", "room", "seat"))
                seated = set(AdmissionTicket.objects.filter(sitting=sitting, enrollment__exam=exam)
                             .values_list("enrollment_id", flat=True))
                waiting = list(EnrollmentSeat.objects.filter(
                    quota=quota, state=SeatState.SOLD, enrollment__status=EnrollmentStatus.ENROLLED)
                    .exclude(enrollment_id__in=seated).order_by("enrollment_id").values_list("enrollment_id", flat=True))
                if not waiting:
                    continue
                subjects = dict(EnrollmentSubject.objects.filter(enrollment_id__in=waiting, sitting=sitting)
                                .values_list("enrollment_id", "subject_id"))
                free = ((venue_index, venue, room, seat)
                        for venue_index, venue in enumerate(venues, start=1)
                        for room in range(1, venue.rooms + 1)
                        for seat in range(1, venue.seats_per_room + 1)
                        if (venue.pk, room, seat) not in used)
                batch = []
                for enrollment_id in waiting:
                    slot = next(free, None)
                    if slot is None:
                        unplaced += len(waiting) - len(batch)
                        break
                    venue_index, venue, room, seat = slot
                    batch.append(AdmissionTicket(
                        enrollment_id=enrollment_id, sitting=sitting, subject_id=subjects[enrollment_id], venue=venue,
                        room=room, seat=seat,
                        number=ticket_number(exam, quota.area_id, index, venue_index, room, seat)))
                AdmissionTicket.objects.bulk_create(batch, batch_size=2000)
                created += len(batch)
        result = {"created": created, "voided": voided, "unplaced": unplaced}
        audit_log(actor=actor, action="tickets.allocated", obj=exam, after=result)
    return result
