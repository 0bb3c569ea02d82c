"""The pages every candidate loads at the opening of registration: a bounded number of database
queries whatever the exam's size (no N+1), and what is rendered once per process still shows each
candidate their own choices and the current seat figures."""
import re
from urllib.parse import urljoin

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams import availability, catalogue
from exams import services as exam_services
from exams.models import Area, SeatQuota, Subject
from tests.accounts.factories import EducationFactory, UserFactory
from registration.models import Enrollment
from tests.photos.factories import approved_photo
from tests.registration.conftest import INFO
from tests.registration.test_enrollment_views import subjects_payload, url, walk_to_area

pytestmark = pytest.mark.django_db


def queries(client, path) -> list[str]:
    client.get(path)  # warm: the exam catalogue, compiled queries, the seat figures in the cache
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    # Without Redis the session lives in the database: one more read, not the page's own.
    return [query["sql"] for query in captured.captured_queries if '"django_session"' not in query["sql"]]


def grow(exam, sittings):
    """Many more areas with quotas and more subjects per sitting: the page must not ask more."""
    for n in range(12):
        area = Area.objects.create(province="32", name=f"新考区{n}", order=100 + n)
        for sitting in sittings:
            SeatQuota.objects.create(exam=exam, area=area, sitting=sitting, capacity=50)
    for n, sitting in enumerate(sittings):
        for k in range(5):
            subject = Subject.objects.create(exam=exam, name=f"新科目{n}-{k}", code=f"X{n}{k}", fee="90.00")
            sitting.subjects.add(subject)
    exam.save()  # a new updated_at: the catalogue is rebuilt at once
    availability.refresh(exam.pk)


@pytest.mark.parametrize("page", ["subjects", "area"])
def test_wizard_step_asks_the_database_four_times_whatever_the_exam_size(logged_in, exam, sittings, page):
    enrollment = walk_to_area(logged_in, exam, sittings)
    before = queries(logged_in, url(page, enrollment))
    # the user; the enrollment with its exam and area; the photo gate's answer; the choices (the
    # unread count of the header's message badge comes from the cache after the first page)
    assert len(before) == 4, before
    grow(exam, sittings)
    after = queries(logged_in, url(page, enrollment))
    assert len(after) == len(before), after


def test_seats_page_asks_the_database_twice_whatever_the_exam_size(logged_in, exam, sittings):
    path = reverse("exams:availability", args=[exam.pk])
    before = queries(logged_in, path)
    assert len(before) == 1, before  # the user; the exam row and its parts from the catalogue, the figures
    # and the unread badge from the cache
    grow(exam, sittings)
    catalogue.clear()  # the seats page's exam row is kept up to catalogue.TTL_SECONDS: as when they have passed
    after = queries(logged_in, path)
    assert len(after) == len(before), after
    assert "新考区11" in logged_in.get(path).content.decode()


def test_each_candidate_sees_their_own_choices_on_the_shared_subject_page(client, exam, sittings):
    pages = []
    for name, second in (("甲", "QMS"), ("乙", "EMS")):
        user = UserFactory(name=name)
        EducationFactory(user=user)
        approved_photo(user)
        client.force_login(user)
        client.post(reverse("registration:exam-notice", args=[exam.pk]), {"accept": "on"})
        enrollment = Enrollment.objects.get(exam=exam, candidate=user)
        assert client.post(url("info", enrollment), INFO).status_code == 302
        assert client.post(url("subjects", enrollment), subjects_payload(sittings, second=second)).status_code == 302
        page = client.get(url("subjects", enrollment)).content.decode()
        pages.append((page, Subject.objects.get(exam=exam, code=second).pk, name))
    for page, chosen, name in pages:
        radio = page.split(f'name="sitting_{sittings[1].pk}" value="{chosen}"')[1].split(">")[0]
        assert "checked" in radio, name
        assert f'data-testid="current-user">{name}<' in page


def test_area_page_shows_the_new_figures_once_a_seat_is_taken(logged_in, exam, sittings, area):
    enrollment = walk_to_area(logged_in, exam, sittings)
    quotas = SeatQuota.objects.filter(exam=exam, area=area).order_by("pk")
    first = logged_in.get(url("area", enrollment)).content.decode()
    left = quotas[0].capacity - quotas[0].held - quotas[0].sold
    assert f"<td>{area.name}</td>\n    <td>{left}</td>" in first
    exam_services.seats_take(quota_ids=[q.pk for q in quotas])
    availability.refresh(exam.pk)
    second = logged_in.get(url("area", enrollment)).content.decode()
    assert f"<td>{area.name}</td>\n    <td>{left - 1}</td>" in second


def test_step_tracker_links_lead_to_the_candidates_own_steps(logged_in, exam, sittings):
    enrollment = walk_to_area(logged_in, exam, sittings)
    page = logged_in.get(url("area", enrollment)).content.decode()
    progress_url = reverse("registration:enrollment-progress", args=[enrollment.pk])
    progress = logged_in.get(progress_url).content.decode()
    # the links as a browser resolves them, from each page's own address
    for page_url, html in ((url("area", enrollment), page), (progress_url, progress)):
        links = re.findall(r'class="stretched-link[^"]*" href="([^"]+)"', html)
        assert [urljoin(page_url, link) for link in links] == [
            url(step, enrollment) for step in ("info", "subjects", "area", "confirm")]


def test_photo_gate_still_closes_a_step_when_the_photo_is_no_longer_approved(logged_in, candidate, exam, sittings):
    from photos.models import Photo

    enrollment = walk_to_area(logged_in, exam, sittings)
    assert logged_in.get(url("subjects", enrollment)).status_code == 200
    Photo.objects.filter(owner=candidate).update(status="rejected")
    response = logged_in.get(url("subjects", enrollment))
    assert response.status_code == 302 and response.url.startswith(reverse("photos:upload"))
