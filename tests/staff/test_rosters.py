"""考生名单 (F2): CSV, XLSX and a zip of photos, each opened and read back; Chinese headers; masked
ID numbers unless the staff member may see full ones; filters; exports made by the worker that only
the requester can download; the export_roster command."""
import csv
import io
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.masking import mask_id_number, mask_mobile
from core.models import AuditEntry
from exams import demo
from exams.models import Sitting, Subject, Venue
from photos.selectors import approved_photo
from registration import rosters
from registration.exceptions import NotAllowed
from registration.models import AdmissionTicket, RosterExport
from registration.rosters import HEADERS, RosterFilter
from registration.services import exports

pytestmark = pytest.mark.django_db

COL = {name: i for i, name in enumerate(HEADERS)}


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # BOM for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def csv_rows(f: RosterFilter, tmp_path, *, full_id_numbers=False) -> list[list[str]]:
    path = tmp_path / "roster.csv"
    with open(path, "w", encoding="utf-8", newline="") as stream:
        count = rosters.write_csv(stream, f, full_id_numbers=full_id_numbers)
    table = read_csv(path.read_bytes())
    assert table[0] == HEADERS
    assert count == len(table) - 1
    return table[1:]


def by_name(table) -> dict[str, list[list[str]]]:
    out: dict = {}
    for row in table:
        out.setdefault(row[COL["姓名"]], []).append(row)
    return out


def expected_rows(world) -> set[tuple]:
    """(name, sitting, subject, area, ticket number) of every paid candidate and sitting."""
    rows = set()
    for name, enrollment in world.paid.items():
        for ticket in AdmissionTicket.objects.filter(enrollment=enrollment, void=False).select_related(
                "sitting", "subject", "venue__area"):
            rows.add((name, ticket.sitting.name, ticket.subject.name, ticket.venue.area.name, ticket.number))
    return rows


def picked(table) -> set[tuple]:
    return {(r[COL["姓名"]], r[COL["场次"]], r[COL["科目"]], r[COL["考区"]], r[COL["准考证号"]]) for r in table}


def test_csv_has_chinese_headers_and_one_row_per_candidate_and_sitting(allocated, tmp_path):
    table = csv_rows(RosterFilter(exam_id=allocated.exam.pk), tmp_path)

    paid = [r for r in table if r[COL["缴费状态"]] == "已缴费"]
    assert picked(paid) == expected_rows(allocated) and len(paid) == 9
    # The unpaid order's seats are listed as unpaid, without a ticket.
    unpaid = [r for r in table if r[COL["缴费状态"]] != "已缴费"]
    assert {r[COL["姓名"]] for r in unpaid} == {"孙八"} and all(r[COL["准考证号"]] == "" for r in unpaid)
    for row in paid:
        ticket = AdmissionTicket.objects.select_related("venue").get(number=row[COL["准考证号"]])
        assert row[COL["考点"]] == ticket.venue.name
        assert (row[COL["考场"]], row[COL["座位号"]]) == (str(ticket.room), str(ticket.seat))
        assert row[COL["证件类型"]] == "居民身份证" and row[COL["性别"]] == "男"


def test_csv_masks_id_numbers_and_mobiles_by_default(allocated, tmp_path):
    table = by_name(csv_rows(RosterFilter(exam_id=allocated.exam.pk), tmp_path))
    for name, enrollment in allocated.paid.items():
        candidate = enrollment.candidate
        for row in table[name]:
            assert row[COL["证件号码"]] == mask_id_number(candidate.id_number) != candidate.id_number
            assert row[COL["手机号码"]] == mask_mobile(candidate.mobile) != candidate.mobile
    full = by_name(csv_rows(RosterFilter(exam_id=allocated.exam.pk), tmp_path, full_id_numbers=True))
    zhang = allocated.candidate("张三")
    assert {r[COL["证件号码"]] for r in full["张三"]} == {zhang.id_number}


@pytest.mark.parametrize("full", [True, False])
def test_full_id_numbers_only_for_staff_with_the_permission(allocated, full, id_viewer, exam_admin, on_commit):
    actor = id_viewer if full else exam_admin
    with on_commit():
        export = exports.roster_export_request(actor=actor, filters=RosterFilter(exam_id=allocated.exam.pk),
                                               fmt="csv", full_id_numbers=full)
    export.refresh_from_db()
    assert export.status == "done" and export.full_id_numbers is full and export.rows == 11
    with export.file.open("rb") as handle:
        table = by_name(read_csv(handle.read())[1:])
    zhang = allocated.candidate("张三")
    shown = {r[COL["证件号码"]] for r in table["张三"]}
    assert shown == ({zhang.id_number} if full else {mask_id_number(zhang.id_number)})
    entry = AuditEntry.objects.get(action="roster.export_requested", object_id=str(export.pk))
    assert entry.actor == actor and entry.after["full_id_numbers"] is full


def test_full_id_numbers_asked_for_without_the_permission_are_refused_not_masked(allocated, exam_admin):
    """Before, the export was quietly masked and its requester believed it held full numbers."""
    with pytest.raises(NotAllowed) as refused:
        exports.roster_export_request(actor=exam_admin, filters=RosterFilter(exam_id=allocated.exam.pk),
                                      fmt="csv", full_id_numbers=True)
    assert refused.value.field == "full_id_numbers"
    assert not RosterExport.objects.exists()


def test_xlsx_reads_back_with_the_same_rows(allocated, tmp_path):
    f = RosterFilter(exam_id=allocated.exam.pk)
    path = tmp_path / "roster.xlsx"
    count = rosters.write_xlsx(path, f, full_id_numbers=False)

    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["考生名单"]
    table = [["" if v is None else str(v) for v in row] for row in workbook["考生名单"].iter_rows(values_only=True)]
    assert table[0] == HEADERS and count == len(table) - 1 == 11
    assert table[1:] == csv_rows(f, tmp_path)  # the same content as the CSV, leading zeros kept
    assert all(r[COL["准考证号"]] == "" or len(r[COL["准考证号"]]) == 15 for r in table[1:])


def test_photo_zip_names_photos_by_ticket_number_with_the_candidates_photo(allocated, tmp_path):
    path = tmp_path / "photos.zip"
    count = rosters.write_photo_zip(path, RosterFilter(exam_id=allocated.exam.pk))

    tickets = AdmissionTicket.objects.filter(void=False).select_related("enrollment__candidate")
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(f"{t.number}.jpg" for t in tickets)
        assert count == 9
        photos = set()
        for ticket in tickets:
            with approved_photo(ticket.enrollment.candidate).processed.open("rb") as image:
                expected = image.read()
            assert archive.read(f"{ticket.number}.jpg") == expected, ticket.enrollment.candidate.name
            photos.add(expected)
    assert len(photos) == 5  # each candidate's own photo, not one photo for all


def test_filters_by_area_sitting_subject_and_venue(allocated, tmp_path):
    exam, sittings, areas = allocated.exam, allocated.sittings, allocated.areas

    jinan = csv_rows(RosterFilter(exam_id=exam.pk, area_id=areas["济南"].pk), tmp_path)
    assert {r[COL["考区"]] for r in jinan} == {"济南"}
    assert {r[COL["姓名"]] for r in jinan} == {"张三", "李四", "王五", "孙八"}

    second = csv_rows(RosterFilter(exam_id=exam.pk, sitting_id=sittings[1].pk), tmp_path)
    assert {r[COL["场次"]] for r in second} == {sittings[1].name}
    assert "王五" not in {r[COL["姓名"]] for r in second}  # sits the first sitting only

    ems = Subject.objects.get(exam=exam, code="EMS")
    assert [r[COL["姓名"]] for r in csv_rows(RosterFilter(exam_id=exam.pk, subject_id=ems.pk), tmp_path)] == ["李四"]

    venue = Venue.objects.get(area=areas["青岛"])
    qingdao = csv_rows(RosterFilter(exam_id=exam.pk, venue_id=venue.pk), tmp_path)
    assert {r[COL["姓名"]] for r in qingdao} == {"赵六"} and len(qingdao) == 2
    assert {r[COL["考点"]] for r in qingdao} == {venue.name}

    path = tmp_path / "ems.zip"
    rosters.write_photo_zip(path, RosterFilter(exam_id=exam.pk, subject_id=ems.pk))
    with zipfile.ZipFile(path) as archive:
        number = AdmissionTicket.objects.get(subject=ems).number
        assert archive.namelist() == [f"{number}.jpg"]


def test_staff_roster_page_exports_for_its_requester_only(allocated, exam_admin, other_admin, client, on_commit,
                                                          tmp_path):
    url = reverse("staff:roster")
    for fmt in ("csv", "xlsx", "zip"):
        client.force_login(exam_admin)
        assert client.get(url).status_code == 200
        with on_commit():
            response = client.post(url, {"exam": allocated.exam.pk, "format": fmt})
        assert response.status_code == 302 and response["Location"] == url

        export = RosterExport.objects.get(format=fmt)
        assert export.requested_by == exam_admin and export.status == "done"
        download = reverse("staff:export-download", args=[export.pk])
        assert download in client.get(url).content.decode()
        response = client.get(download)
        assert response.status_code == 200
        data = b"".join(response.streaming_content)
        if fmt == "csv":
            assert read_csv(data)[0] == HEADERS and len(read_csv(data)) == 12
        elif fmt == "xlsx":
            (tmp_path / "x.xlsx").write_bytes(data)
            sheet = load_workbook(tmp_path / "x.xlsx", read_only=True)["考生名单"]
            assert next(sheet.iter_rows(values_only=True)) == tuple(HEADERS)
        else:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                assert len(archive.namelist()) == 9

        client.force_login(other_admin)
        assert client.get(download).status_code == 404
        assert download not in client.get(url).content.decode()


def test_roster_page_is_for_staff_with_the_permission(allocated, client, django_user_model):
    url = reverse("staff:roster")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(allocated.candidate("张三"))
    assert client.get(url).status_code == 302
    plain_staff = django_user_model.objects.create(username="plainstaff", name="无权限", is_staff=True)
    client.force_login(plain_staff)
    assert client.get(url).status_code == 403


def test_export_roster_command_writes_the_file(allocated, tmp_path):
    zhang = allocated.candidate("张三")
    for fmt in ("csv", "xlsx", "zip"):
        path = tmp_path / f"out.{fmt}"
        out = io.StringIO()
        call_command("export_roster", "--exam", str(allocated.exam.pk), "--area", str(allocated.areas["济南"].pk),
                     "--format", fmt, "--output", str(path), stdout=out)
        if fmt == "csv":
            table = read_csv(path.read_bytes())
            assert table[0] == HEADERS and {r[COL["考区"]] for r in table[1:]} == {"济南"}
            assert len(table) - 1 == 7  # 张三, 李四 and 孙八 twice, 王五 once
            assert mask_id_number(zhang.id_number) in path.read_text(encoding="utf-8-sig")
            assert zhang.id_number not in path.read_text(encoding="utf-8-sig")
        elif fmt == "xlsx":
            rows = list(load_workbook(path, read_only=True)["考生名单"].iter_rows(values_only=True))
            assert rows[0] == tuple(HEADERS) and len(rows) - 1 == 7
        else:
            with zipfile.ZipFile(path) as archive:
                assert len(archive.namelist()) == 5  # the paid 济南 candidates' tickets
        assert out.getvalue().startswith(f"{7 if fmt != 'zip' else 5} rows written to {path}")
    path = tmp_path / "full.csv"
    call_command("export_roster", "--exam", str(allocated.exam.pk), "--format", "csv", "--output", str(path),
                 "--full-id", stdout=io.StringIO())
    assert zhang.id_number in path.read_text(encoding="utf-8-sig")


def files_of(export) -> set[str]:
    storage, folder = export.file.storage, f"exports/{export.requested_by_id}"
    return set(storage.listdir(folder)[1]) if storage.exists(folder) else set()


def test_the_worker_records_the_export_once_and_a_second_delivery_leaves_it_alone(allocated, exam_admin,
                                                                                 monkeypatch):
    """registration.states.ROSTER_EXPORT: the worker (the system) marks it done; a second delivery of
    the task that finishes first wins, the loser removes its own file and records nothing."""
    export = RosterExport.objects.create(requested_by=exam_admin, exam=allocated.exam, format="csv",
                                         filters=RosterFilter(exam_id=allocated.exam.pk).as_dict())
    before = files_of(export)
    write_csv = rosters.write_csv

    def delivered_again_meanwhile(*args, **kwargs):
        monkeypatch.setattr(rosters, "write_csv", write_csv)
        exports.roster_export_run(export_id=export.pk)
        return write_csv(*args, **kwargs)

    monkeypatch.setattr(rosters, "write_csv", delivered_again_meanwhile)
    exports.roster_export_run(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == "done" and export.rows == 11
    assert files_of(export) - before == {export.file.name.rsplit("/", 1)[1]}  # only the winner's file
    entries = AuditEntry.objects.filter(object_id=str(export.pk), action__startswith="roster_export.")
    assert [(e.action, e.actor, e.before, e.after) for e in entries] == [
        ("roster_export.done", None, {"status": "queued"}, {"status": "done", "rows": 11})]
    exports.roster_export_run(export_id=export.pk)  # done: nothing more happens
    assert AuditEntry.objects.filter(object_id=str(export.pk), action__startswith="roster_export.").count() == 1


def test_a_failed_export_is_recorded_for_the_staff_member(allocated, exam_admin, monkeypatch):
    export = RosterExport.objects.create(requested_by=exam_admin, exam=allocated.exam, format="csv",
                                         filters=RosterFilter(exam_id=allocated.exam.pk).as_dict())

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(rosters, "write_csv", disk_full)
    with pytest.raises(OSError):
        exports.roster_export_run(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == "failed" and "No space left" in export.error and not export.file
    entry = AuditEntry.objects.get(object_id=str(export.pk), action="roster_export.failed")
    assert entry.actor is None and entry.before == {"status": "queued"}


# --------------------------------------------------------------------------- the export form (issue 14.10, 14.8)


def test_the_full_numbers_box_is_offered_only_to_staff_allowed_to_see_them(allocated, exam_admin, id_viewer,
                                                                            client):
    client.force_login(exam_admin)
    page = client.get(reverse("staff:roster")).content.decode()
    assert 'name="full_id_numbers"' not in page and 'data-testid="masked-note"' in page
    client.force_login(id_viewer)
    page = client.get(reverse("staff:roster")).content.decode()
    assert 'name="full_id_numbers"' in page and 'data-testid="masked-note"' not in page


def test_full_numbers_posted_without_the_permission_are_refused_with_a_message(allocated, exam_admin, client,
                                                                               on_commit):
    """Before, the box was silently ignored: the export came masked and nothing said so."""
    client.force_login(exam_admin)
    client.cookies["django_language"] = "en"
    with on_commit():
        response = client.post(reverse("staff:roster"), {"exam": allocated.exam.pk, "format": "csv",
                                                         "full_id_numbers": "on"})
    assert response.status_code == 403
    assert "You may not export full ID numbers and mobiles" in response.content.decode()
    assert not RosterExport.objects.exists()


def test_staff_allowed_to_see_full_numbers_get_them(allocated, id_viewer, client, on_commit):
    client.force_login(id_viewer)
    with on_commit():
        response = client.post(reverse("staff:roster"), {"exam": allocated.exam.pk, "format": "csv",
                                                         "full_id_numbers": "on"})
    assert response.status_code == 302
    export = RosterExport.objects.get()
    assert export.full_id_numbers is True and export.status == "done"


def test_filters_that_do_not_belong_together_are_refused_next_to_the_field(allocated, exam_admin, client):
    other_exam = demo.seed_closed(timezone.now(), timezone.localdate())
    client.force_login(exam_admin)
    exam, areas = allocated.exam, allocated.areas
    url = reverse("staff:roster")
    beijing_venue = Venue.objects.get(area=areas["北京"])
    cases = [
        ({"area": areas["济南"].pk, "venue": beijing_venue.pk}, "venue"),
        ({"sitting": Sitting.objects.filter(exam=other_exam).first().pk}, "sitting"),
        ({"subject": Subject.objects.filter(exam=other_exam).first().pk}, "subject"),
        ({"sitting": allocated.sittings[0].pk, "subject": Subject.objects.get(exam=exam, code="QMS").pk}, "subject"),
    ]
    for extra, field in cases:
        response = client.post(url, {"exam": exam.pk, "format": "csv", **extra})
        assert response.status_code == 200, extra
        assert list(response.context["form"].errors) == [field], extra
    assert not RosterExport.objects.exists()
    response = client.post(url, {"exam": exam.pk, "format": "csv", "area": areas["北京"].pk,
                                 "venue": beijing_venue.pk, "sitting": allocated.sittings[1].pk,
                                 "subject": Subject.objects.get(exam=exam, code="QMS").pk})
    assert response.status_code == 302
