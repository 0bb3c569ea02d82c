"""What must belong together is refused when it does not (issue 14.8), by a model rule shown next to the
field in admin and by the service: a seat quota with another exam's sitting, a sitting offering another
exam's subjects, windows with one end or ending before they start, a venue with tickets moved to another
city, and a registration in 山东 for an exam that has the candidate choose a province, seated in 北京."""
import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from exams import demo
from exams import services as exam_services
from exams.exceptions import InconsistentData
from exams.models import Area, Exam, SeatQuota, Sitting, Subject, Venue
from registration import services
from registration.exceptions import InvalidChoice
from tests.accounts.test_admin_edits import page_form
from tests.staff.conftest import SHANDONG, info, make_candidate

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, exam_admin):
    client.force_login(exam_admin)
    return client


@pytest.fixture
def two_exams(db):
    """The open demo exam and the closed one: each with its own sittings and subjects."""
    open_exam = demo.seed()
    closed = demo.seed_closed(timezone.now(), timezone.localdate())
    return open_exam, closed


# --------------------------------------------------------------------------- seat quotas


def test_a_quota_with_another_exams_sitting_is_refused_next_to_the_sitting(two_exams, admin_client):
    open_exam, closed = two_exams
    other_sitting = Sitting.objects.filter(exam=closed).order_by("starts_at").first()
    area = Area.objects.get(name="上海")  # the closed exam has no quota there
    response = admin_client.post(reverse("admin:exams_seatquota_add"), {
        "exam": open_exam.pk, "area": area.pk, "sitting": other_sitting.pk, "capacity": "30"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["sitting"] and closed.name in errors["sitting"][0]
    assert not SeatQuota.objects.filter(area=area, sitting=other_sitting).exists()

    own_sitting = Sitting.objects.filter(exam=closed).order_by("starts_at").first()
    response = admin_client.post(reverse("admin:exams_seatquota_add"), {
        "exam": closed.pk, "area": area.pk, "sitting": own_sitting.pk, "capacity": "30"})
    assert response.status_code == 302
    assert SeatQuota.objects.get(area=area, sitting=own_sitting).exam == closed


def test_the_service_refuses_another_exams_sitting_too(two_exams, exam_admin):
    open_exam, closed = two_exams
    quota = SeatQuota(exam=open_exam, area=Area.objects.get(name="上海"),
                      sitting=Sitting.objects.filter(exam=closed).first(), capacity=10)
    with pytest.raises(InconsistentData) as refused:
        exam_services.quota_create(quota=quota, actor=exam_admin)
    assert refused.value.field == "sitting"
    assert quota.pk is None


def test_an_existing_quota_keeps_its_exam_area_and_sitting(two_exams, admin_client):
    open_exam, closed = two_exams
    quota = SeatQuota.objects.filter(exam=open_exam).first()
    url = reverse("admin:exams_seatquota_change", args=[quota.pk])
    assert 'name="sitting"' not in admin_client.get(url).content.decode()
    other = Sitting.objects.filter(exam=closed).first()
    admin_client.post(url, {"exam": closed.pk, "sitting": other.pk, "capacity": str(quota.capacity)})
    quota.refresh_from_db()
    assert (quota.exam, quota.sitting.exam) == (open_exam, open_exam)


def test_the_quota_form_names_the_exam_of_each_sitting(two_exams, admin_client):
    open_exam, closed = two_exams
    page = admin_client.get(reverse("admin:exams_seatquota_add")).content.decode()
    assert f"{closed.name} · 第一场" in page and f"{open_exam.name} · 第一场" in page


# --------------------------------------------------------------------------- sittings and subjects


def test_a_sitting_offers_only_subjects_of_its_own_exam(two_exams, admin_client):
    open_exam, closed = two_exams
    url = reverse("admin:exams_exam_change", args=[open_exam.pk])
    data = page_form(admin_client, url)
    sitting = Sitting.objects.filter(exam=open_exam).order_by("starts_at").first()
    index = next(k.split("-")[1] for k, v in data.items() if k.startswith("sittings-") and k.endswith("-id")
                 and v == str(sitting.pk))
    foreign = Subject.objects.filter(exam=closed).order_by("pk").first()
    page = admin_client.get(url).context["inline_admin_formsets"]
    offered = next(f for f in page if f.formset.model is Sitting).formset.forms[0].fields["subjects"].queryset
    assert set(offered) == set(Subject.objects.filter(exam=open_exam))

    admin_client_data = {**data, f"sittings-{index}-subjects": [str(foreign.pk)]}
    response = admin_client.post(url, admin_client_data)
    assert response.status_code == 200
    assert set(sitting.subjects.all()) == set(Subject.objects.filter(exam=open_exam, code="GB"))

    with pytest.raises(InconsistentData) as refused:
        exam_services.sitting_save(sitting=sitting, actor=None, fields=[], subjects=[foreign])
    assert refused.value.field == "subjects"


def test_a_change_of_the_subjects_offered_is_audited(two_exams, admin_client, exam_admin):
    open_exam, _closed = two_exams
    url = reverse("admin:exams_exam_change", args=[open_exam.pk])
    data = page_form(admin_client, url)
    sitting = Sitting.objects.filter(exam=open_exam).order_by("starts_at").last()  # QMS, EMS, OHSMS, SC
    index = next(k.split("-")[1] for k, v in data.items() if k.startswith("sittings-") and k.endswith("-id")
                 and v == str(sitting.pk))
    kept = list(Subject.objects.filter(exam=open_exam, code__in=["QMS", "EMS"]).order_by("pk"))
    data[f"sittings-{index}-subjects"] = [str(s.pk) for s in kept]
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(sitting.subjects.order_by("pk")) == kept
    entry = AuditEntry.objects.get(action="sitting.subjects_changed", object_id=str(sitting.pk))
    assert entry.actor == exam_admin and entry.after == {"subjects": [s.pk for s in kept]}


# --------------------------------------------------------------------------- windows


@pytest.mark.parametrize("fields", [
    {"refund_opens_at": None},  # one end only
    {"ticket_print_closes_at": None},
    {"score_review_opens_at": timezone.now()},  # no end
])
def test_the_database_refuses_a_window_with_one_end(two_exams, fields):
    exam = two_exams[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Exam.objects.filter(pk=exam.pk).update(**fields)


def test_the_database_refuses_a_window_that_closes_before_it_opens(two_exams):
    exam = two_exams[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Exam.objects.filter(pk=exam.pk).update(refund_closes_at=exam.refund_opens_at - datetime.timedelta(hours=1))


def test_admin_tells_which_window_is_wrong_next_to_its_field(two_exams, admin_client):
    exam = two_exams[0]
    url = reverse("admin:exams_exam_change", args=[exam.pk])
    data = page_form(admin_client, url)
    data.update({"ticket_print_closes_at_0": data["ticket_print_opens_at_0"],
                 "ticket_print_closes_at_1": data["ticket_print_opens_at_1"]})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["ticket_print_closes_at"]


# --------------------------------------------------------------------------- venues and areas


def test_a_venue_with_admission_tickets_cannot_move_to_another_area(allocated, exam_admin, client):
    client.force_login(exam_admin)
    venue = Venue.objects.get(area__name="济南")
    url = reverse("admin:exams_venue_change", args=[venue.pk])
    data = page_form(client, url)
    data["area"] = str(Area.objects.get(name="北京").pk)
    response = client.post(url, data)
    assert response.status_code == 200 and response.context["adminform"].form.errors["area"]
    assert Venue.objects.get(pk=venue.pk).area.name == "济南"
    data["address"] = "济南市历下区经十路 18 号"  # anything else may change
    data["area"] = str(venue.area_id)
    assert client.post(url, data).status_code == 302


def test_an_area_with_quotas_keeps_its_province(two_exams, admin_client):
    area = Area.objects.get(name="济南")
    url = reverse("admin:exams_area_change", args=[area.pk])
    data = page_form(admin_client, url)
    data["province"] = "11"
    response = admin_client.post(url, data)
    assert response.status_code == 200 and response.context["adminform"].form.errors["province"]
    assert Area.objects.get(pk=area.pk).province == SHANDONG


# --------------------------------------------------------------------------- province and area (CPTA)


@pytest.fixture
def province_exam(db):
    """An exam where the candidate chooses the province they register in (报考省份, as CPTA's; the body
    stays CCAA so that the candidates' photos fit it)."""
    exam = demo.seed()
    Exam.objects.filter(pk=exam.pk).update(requires_province=True)
    exam.refresh_from_db()
    return exam


def to_area_step(candidate, exam, province):
    enrollment = services.enrollment_start(candidate=candidate, exam=exam)
    services.enrollment_save_info(enrollment=enrollment, actor=candidate, data=info(province=province))
    sittings = list(Sitting.objects.filter(exam=exam).order_by("starts_at"))
    services.enrollment_choose_subjects(enrollment=enrollment, actor=candidate, subject_by_sitting={
        sittings[0].pk: Subject.objects.get(exam=exam, code="GB").pk, sittings[1].pk: None})
    return enrollment


def test_a_registration_in_shandong_cannot_sit_in_beijing(province_exam):
    candidate = make_candidate("王芳")
    enrollment = to_area_step(candidate, province_exam, SHANDONG)
    with pytest.raises(InvalidChoice) as refused:
        services.enrollment_choose_area(enrollment=enrollment, actor=candidate,
                                        area_id=Area.objects.get(name="北京").pk)
    assert refused.value.field == "area" and "北京" in refused.value.message
    enrollment.refresh_from_db()
    assert enrollment.area is None
    services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=Area.objects.get(name="青岛").pk)
    enrollment.refresh_from_db()
    assert enrollment.area.name == "青岛"


def test_the_area_page_shows_the_refusal_next_to_the_area(province_exam, client):
    candidate = make_candidate("王芳")
    enrollment = to_area_step(candidate, province_exam, SHANDONG)
    client.force_login(candidate)
    response = client.post(reverse("registration:enrollment-area", args=[enrollment.pk]),
                           {"area": Area.objects.get(name="北京").pk})
    assert response.status_code in (200, 400)
    assert response.context["form"].errors["area"]
    enrollment.refresh_from_db()
    assert enrollment.area is None


def test_the_area_page_offers_only_the_areas_of_the_chosen_province(province_exam, client):
    candidate = make_candidate("王芳")
    enrollment = to_area_step(candidate, province_exam, SHANDONG)
    client.force_login(candidate)
    response = client.get(reverse("registration:enrollment-area", args=[enrollment.pk]))
    offered = {option.area.name for option in response.context["options"]}
    assert offered and offered <= {area.name for area in Area.objects.filter(province=SHANDONG)}
    assert "北京" not in offered and "北京" not in response.content.decode()


def test_another_province_clears_the_area_chosen_for_the_first(province_exam):
    candidate = make_candidate("王芳")
    enrollment = to_area_step(candidate, province_exam, SHANDONG)
    services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=Area.objects.get(name="济南").pk)
    services.enrollment_save_info(enrollment=enrollment, actor=candidate, data=info(province="11"))
    enrollment.refresh_from_db()
    assert enrollment.province == "11" and enrollment.area is None and enrollment.area_saved_at is None


def test_a_registration_saved_inconsistent_before_cannot_be_confirmed(province_exam):
    candidate = make_candidate("王芳")
    enrollment = to_area_step(candidate, province_exam, SHANDONG)
    services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=Area.objects.get(name="济南").pk)
    type(enrollment).objects.filter(pk=enrollment.pk).update(area=Area.objects.get(name="北京"))  # as before the fix
    with pytest.raises(InvalidChoice) as refused:
        services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    assert refused.value.field == "area"
    enrollment.refresh_from_db()
    assert enrollment.status == "draft"


def test_exams_without_a_province_choice_keep_every_area(db):
    exam = demo.seed()
    candidate = make_candidate("王芳")
    enrollment = to_area_step(candidate, exam, "")
    services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=Area.objects.get(name="北京").pk)
    enrollment.refresh_from_db()
    assert enrollment.area.name == "北京"
