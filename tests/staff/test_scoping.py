"""Scoped permissions (F5): a provincial authority (Shandong, 37) sees and exports its own province
only — in admin lists, by typing another province's URL, in roster exports and on the dashboard."""
import csv
import io

import pytest
from django.urls import reverse

from exams.models import SeatQuota, Venue
from registration.models import Enrollment, RosterExport
from registration.rosters import HEADERS
from tests.staff.conftest import SHANDONG

pytestmark = pytest.mark.django_db

SHANDONG_NAMES = {"张三", "李四", "王五", "赵六", "孙八"}


@pytest.fixture
def provincial_client(client, provincial):
    client.force_login(provincial)
    return client


def exported_rows(export) -> list[list[str]]:
    with export.file.open("rb") as handle:
        table = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
    assert table[0] == HEADERS
    return table[1:]


def test_enrollment_changelist_shows_only_shandong(world, provincial_client):
    response = provincial_client.get(reverse("admin:registration_enrollment_changelist"))
    assert response.status_code == 200
    shown = {e.candidate.name for e in response.context["cl"].result_list}
    assert shown == SHANDONG_NAMES
    assert all(e.area.province == SHANDONG for e in response.context["cl"].result_list)
    assert "钱七" not in response.content.decode()


def test_enrollment_search_does_not_reach_another_province(world, provincial_client):
    response = provincial_client.get(reverse("admin:registration_enrollment_changelist"), {"q": "钱七"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_another_provinces_enrollment_by_url_is_not_shown(world, provincial_client):
    beijing = world.paid["钱七"]
    for name in ("change", "history"):
        response = provincial_client.get(reverse(f"admin:registration_enrollment_{name}", args=[beijing.pk]))
        assert response.status_code in (302, 404), name
        assert "钱七" not in response.content.decode()
    own = world.paid["张三"]
    response = provincial_client.get(reverse("admin:registration_enrollment_change", args=[own.pk]))
    assert response.status_code == 200 and "张三" in response.content.decode()


def test_review_action_cannot_touch_another_province(world, provincial_client):
    """An action posted with a Beijing id acts on nothing: the selection goes through the scoped queryset."""
    beijing = world.paid["钱七"]
    provincial_client.post(reverse("admin:registration_enrollment_changelist"),
                           {"action": "approve_review", "_selected_action": [beijing.pk]})
    assert Enrollment.objects.get(pk=beijing.pk).status == "enrolled"


def test_roster_export_of_another_provinces_area_is_refused(world, provincial_client, on_commit):
    with on_commit():
        response = provincial_client.post(reverse("staff:roster"), {
            "exam": world.exam.pk, "area": world.areas["北京"].pk, "format": "csv"})
    assert response.status_code == 200
    assert response.context["form"].errors["area"]
    assert not RosterExport.objects.exists()


def test_roster_export_without_area_holds_only_shandong(world, provincial_client, provincial, on_commit):
    with on_commit():
        response = provincial_client.post(reverse("staff:roster"), {"exam": world.exam.pk, "format": "csv"})
    assert response.status_code == 302
    export = RosterExport.objects.get()
    assert export.requested_by == provincial and export.filters["province"] == SHANDONG
    assert export.full_id_numbers is False  # no permission for full numbers
    rows = exported_rows(export)
    assert {r[HEADERS.index("考区")] for r in rows} == {"济南", "青岛"}
    assert {r[HEADERS.index("姓名")] for r in rows} == SHANDONG_NAMES
    download = provincial_client.get(reverse("staff:export-download", args=[export.pk]))
    assert download.status_code == 200
    assert "钱七".encode() not in b"".join(download.streaming_content)


def test_roster_export_by_another_provinces_venue_is_refused(allocated, provincial_client, on_commit):
    """Another province's venue is not offered, and refused next to the field when posted anyway."""
    venue = Venue.objects.get(area=allocated.areas["北京"])
    offered = provincial_client.get(reverse("staff:roster")).context["form"].fields["venue"].queryset
    assert venue not in offered and offered.exists()
    with on_commit():
        response = provincial_client.post(reverse("staff:roster"), {"exam": allocated.exam.pk, "venue": venue.pk,
                                                                    "format": "csv"})
    assert response.status_code == 200 and response.context["form"].errors["venue"]
    assert not RosterExport.objects.exists()


def test_dashboard_figures_are_limited_to_the_province(world, provincial_client, client, superuser):
    url = reverse("staff:dashboard")
    response = provincial_client.get(url, {"exam": world.exam.pk})
    assert response.status_code == 200
    ctx = response.context
    assert ctx["province"] == SHANDONG
    assert ctx["registrations"] == 5 and ctx["paid"] == 4
    assert {area.name for area, _rows in ctx["areas"]} == {"济南", "青岛"}
    assert {s["subject__name"]: s["n"] for s in ctx["subjects"]} == {
        "认证通用基础": 4, "QMS 基础知识": 2, "EMS 基础知识": 1}
    page = response.content.decode()
    assert "北京" not in page and "上海" not in page

    client.force_login(superuser)
    everything = client.get(url, {"exam": world.exam.pk}).context
    assert everything["province"] is None
    assert everything["registrations"] == 6 and everything["paid"] == 5
    assert len(everything["areas"]) == SeatQuota.objects.filter(exam=world.exam).values("area").distinct().count()


def test_provincial_user_without_a_province_sees_nothing(world, client, provincial):
    provincial.province = ""
    provincial.save()
    client.force_login(provincial)
    response = client.get(reverse("admin:registration_enrollment_changelist"))
    assert list(response.context["cl"].result_list) == []
    assert client.get(reverse("staff:dashboard"), {"exam": world.exam.pk}).context["registrations"] == 0


def test_candidate_accounts_of_another_province_are_not_shown(world, provincial_client):
    response = provincial_client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200
    assert {u.name for u in response.context["cl"].result_list} == SHANDONG_NAMES
    beijing = world.candidate("钱七")
    response = provincial_client.get(reverse("admin:accounts_user_change", args=[beijing.pk]))
    assert response.status_code in (302, 404)
    assert "钱七" not in response.content.decode()
    own = world.candidate("张三")
    assert provincial_client.get(reverse("admin:accounts_user_change", args=[own.pk])).status_code == 200
