"""准考证 allocation (D13): after registration closes, one ticket per paid candidate and sitting,
unique 15-digit numbers, never more seats than the venues hold, stable when run again, refunded
candidates' tickets voided without their seat being handed out again; audited."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from exams.models import Exam, Venue
from registration import services
from registration.exceptions import InvalidChoice, NotAllowed
from registration.models import AdmissionTicket, Enrollment, EnrollmentSubject
from registration.services.tickets import ticket_number
from tests.staff.conftest import close_registration, make_candidate, pay, walk

pytestmark = pytest.mark.django_db


def snapshot():
    return {t.pk: (t.enrollment_id, t.sitting_id, t.subject_id, t.venue_id, t.room, t.seat, t.number, t.void)
            for t in AdmissionTicket.objects.all()}


def test_every_paid_candidate_gets_one_ticket_per_sitting(world, superuser):
    result = services.tickets_allocate(exam=world.exam, actor=superuser)

    # 张三, 李四, 赵六, 钱七 sit twice, 王五 once; 孙八 has not paid.
    assert result == {"created": 9, "voided": 0, "unplaced": 0}
    for name, enrollment in world.paid.items():
        tickets = AdmissionTicket.objects.filter(enrollment=enrollment)
        choices = {c.sitting_id: c.subject_id for c in EnrollmentSubject.objects.filter(enrollment=enrollment)}
        assert {t.sitting_id: t.subject_id for t in tickets} == choices, name
        assert all(t.venue.area_id == enrollment.area_id for t in tickets), name
    assert not AdmissionTicket.objects.filter(enrollment=world.unpaid["孙八"]).exists()


def test_ticket_numbers_are_unique_15_digits_encoding_exam_area_and_sitting(allocated):
    exam = allocated.exam
    tickets = list(AdmissionTicket.objects.select_related("venue", "sitting", "enrollment"))
    numbers = [t.number for t in tickets]
    assert len(set(numbers)) == len(numbers) == 9
    for t in tickets:
        assert len(t.number) == 15 and t.number.isdigit(), t.number
        assert t.number[:4] == f"{exam.pk % 10000:04d}"
        assert t.number[4:7] == f"{t.venue.area_id % 1000:03d}"
        assert t.number[7] == str(allocated.sittings.index(t.sitting) + 1)
        assert t.number[10:13] == f"{t.room:03d}" and t.number[13:] == f"{t.seat:02d}"
        assert t.number == ticket_number(exam, t.venue.area_id, allocated.sittings.index(t.sitting) + 1,
                                         int(t.number[8:10]), t.room, t.seat)
    # No two candidates on one seat of one sitting.
    places = [(t.sitting_id, t.venue_id, t.room, t.seat) for t in tickets]
    assert len(set(places)) == len(places)


def test_seats_never_exceed_the_rooms_of_the_venues(world, superuser):
    jinan = Venue.objects.get(area=world.areas["济南"])
    Venue.objects.filter(pk=jinan.pk).update(rooms=1, seats_per_room=2)

    result = services.tickets_allocate(exam=world.exam, actor=superuser)

    # 济南: 3 paid in sitting 1 (2 seats → 1 unplaced), 2 in sitting 2 (both fit).
    assert result == {"created": 8, "voided": 0, "unplaced": 1}
    in_jinan = AdmissionTicket.objects.filter(venue=jinan)
    for sitting in world.sittings:
        assert in_jinan.filter(sitting=sitting).count() <= 2
    assert set(in_jinan.values_list("room", flat=True)) == {1}
    assert set(in_jinan.values_list("seat", flat=True)) <= {1, 2}
    # The first enrolled come first: 王五 (the third in 济南) is the one left without a seat.
    assert not AdmissionTicket.objects.filter(enrollment=world.paid["王五"]).exists()


def test_running_again_creates_nothing_and_changes_no_ticket(allocated, superuser):
    before = snapshot()
    result = services.tickets_allocate(exam=allocated.exam, actor=superuser)
    assert result == {"created": 0, "voided": 0, "unplaced": 0}
    assert snapshot() == before


def test_a_new_room_places_the_unplaced_without_moving_anybody(world, superuser):
    jinan = Venue.objects.get(area=world.areas["济南"])
    Venue.objects.filter(pk=jinan.pk).update(rooms=1, seats_per_room=2)
    services.tickets_allocate(exam=world.exam, actor=superuser)
    before = snapshot()
    Venue.objects.filter(pk=jinan.pk).update(rooms=2)

    result = services.tickets_allocate(exam=world.exam, actor=superuser)

    assert result == {"created": 1, "voided": 0, "unplaced": 0}
    after = snapshot()
    assert {pk: after[pk] for pk in before} == before
    (new,) = AdmissionTicket.objects.exclude(pk__in=before)
    assert new.enrollment == world.paid["王五"] and (new.room, new.seat) == (2, 1)


def test_refunded_candidate_is_voided_and_the_seat_is_not_handed_out_again(world, superuser):
    jinan = Venue.objects.get(area=world.areas["济南"])
    Venue.objects.filter(pk=jinan.pk).update(rooms=1, seats_per_room=2)
    services.tickets_allocate(exam=world.exam, actor=superuser)  # 王五 without a seat in sitting 1
    zhang = world.paid["张三"]
    old = {t.pk: (t.room, t.seat, t.number) for t in AdmissionTicket.objects.filter(enrollment=zhang)}
    services.enrollment_refund_seats(enrollment=zhang, actor=zhang.candidate)
    assert not AdmissionTicket.objects.filter(enrollment=zhang, void=False).exists()  # no seat, no ticket

    result = services.tickets_allocate(exam=world.exam, actor=superuser)

    assert result == {"created": 0, "voided": 0, "unplaced": 1}
    voided = AdmissionTicket.objects.filter(enrollment=zhang)
    assert {t.pk: (t.room, t.seat, t.number) for t in voided} == old  # number kept (it stays unique)
    assert not AdmissionTicket.objects.filter(enrollment=world.paid["王五"], sitting=world.sittings[0]).exists()
    assert AuditEntry.objects.filter(action="tickets.allocated").first().after == result


def test_a_run_voids_tickets_of_candidates_no_longer_enrolled(allocated, superuser):
    """The run's own safety net: a ticket still valid for a registration that is not complete any
    more (a status changed outside the refund service) is voided, and its seat is not reused."""
    li = allocated.paid["李四"]
    Enrollment.objects.filter(pk=li.pk).update(status="refunded")
    before = snapshot()

    result = services.tickets_allocate(exam=allocated.exam, actor=superuser)

    assert result == {"created": 0, "voided": 2, "unplaced": 0}
    after = snapshot()
    assert {pk for pk, row in after.items() if row[-1]} == set(li.tickets.values_list("pk", flat=True))
    assert {pk: row[:-1] for pk, row in after.items()} == {pk: row[:-1] for pk, row in before.items()}


def test_refused_while_registration_is_open(open_world, superuser):
    with pytest.raises(InvalidChoice):
        services.tickets_allocate(exam=open_world.exam, actor=superuser)
    assert not AdmissionTicket.objects.exists()
    assert not AuditEntry.objects.filter(action="tickets.allocated").exists()


def test_allocation_is_audited(world, superuser):
    result = services.tickets_allocate(exam=world.exam, actor=superuser)
    entry = AuditEntry.objects.get(action="tickets.allocated")
    assert entry.actor == superuser and entry.object_id == str(world.exam.pk)
    assert entry.after == result


def test_admin_allocate_view_runs_the_allocation(world, superuser, client):
    client.force_login(superuser)
    url = reverse("admin:registration_tickets_allocate")
    assert client.get(url).status_code == 200
    response = client.post(url, {"exam": world.exam.pk})
    assert response.status_code == 302
    assert AdmissionTicket.objects.count() == 9
    assert AuditEntry.objects.filter(action="tickets.allocated", actor=superuser).count() == 1


def test_admin_allocate_view_shows_the_refusal_while_open(open_world, superuser, client):
    client.force_login(superuser)
    response = client.post(reverse("admin:registration_tickets_allocate"), {"exam": open_world.exam.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["exam"]
    assert not AdmissionTicket.objects.exists()


@pytest.mark.parametrize("who", ["association_staff", "provincial"])
def test_allocate_view_needs_the_permission(world, who, request, client):
    """Only exam administrators (and superusers) allocate: the others are refused, by the page and by the service."""
    actor = request.getfixturevalue(who)
    client.force_login(actor)
    response = client.post(reverse("admin:registration_tickets_allocate"), {"exam": world.exam.pk})
    assert response.status_code == 403
    with pytest.raises(NotAllowed):
        services.tickets_allocate(exam=world.exam, actor=actor)
    assert not AdmissionTicket.objects.exists()
    page = client.get(reverse("admin:registration_admissionticket_changelist")).content.decode()
    assert reverse("admin:registration_tickets_allocate") not in page  # not offered either


def test_an_exam_administrator_allocates_the_tickets_in_admin(world, exam_admin, client):
    client.force_login(exam_admin)
    changelist = client.get(reverse("admin:registration_admissionticket_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:registration_tickets_allocate") in changelist.content.decode()
    response = client.post(reverse("admin:registration_tickets_allocate"), {"exam": world.exam.pk})
    assert response.status_code == 302
    assert AdmissionTicket.objects.count() == 9
    assert AuditEntry.objects.filter(action="tickets.allocated", actor=exam_admin).count() == 1


def test_candidate_enrolled_after_a_reopening_gets_a_seat_next_to_the_others(world, superuser):
    """Registration reopened for late payers: the next run places only the newcomer."""
    services.tickets_allocate(exam=world.exam, actor=superuser)
    before = snapshot()
    Exam.objects.filter(pk=world.exam.pk).update(registration_closes_at=timezone.now() + datetime.timedelta(days=1))
    world.exam.refresh_from_db()
    late = pay(walk(make_candidate("周九"), world.exam, world.sittings, world.areas["青岛"]))
    close_registration(world.exam)

    result = services.tickets_allocate(exam=world.exam, actor=superuser)

    assert result == {"created": 2, "voided": 0, "unplaced": 0}
    after = snapshot()
    assert {pk: after[pk] for pk in before} == before
    assert AdmissionTicket.objects.filter(enrollment=late).count() == 2
