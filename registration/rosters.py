"""考生名单: roster rows by exam, area, venue, sitting or subject, written as CSV, XLSX or a zip of
photos, streaming (rows are read in chunks and written as they come, never all held in memory)."""
from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from core.masking import mask_id_number, mask_mobile

from .models import EnrollmentSeat, EnrollmentStatus, SeatState

HEADERS = ["准考证号", "姓名", "性别", "证件类型", "证件号码", "科目", "场次", "考区", "考点", "考场", "座位号",
           "手机号码", "缴费状态"]
GENDER = {"M": "男", "F": "女"}
ID_TYPE = {"resident_id": "居民身份证", "residence_permit": "港澳台居民居住证", "passport": "护照",
           "hk_macao_permit": "港澳居民来往内地通行证", "taiwan_permit": "台湾居民来往大陆通行证",
           "military_officer": "军官证"}


@dataclass
class RosterFilter:
    exam_id: int
    area_id: int | None = None
    venue_id: int | None = None
    sitting_id: int | None = None
    subject_id: int | None = None
    province: str | None = None  # a provincial authority sees its own province only

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if v not in (None, "")}


def _seats(f: RosterFilter):
    seats = (EnrollmentSeat.objects
             .filter(quota__exam_id=f.exam_id, enrollment__status__in=[EnrollmentStatus.ENROLLED,
                                                                       EnrollmentStatus.PENDING_PAYMENT])
             .select_related("enrollment__candidate", "quota__area", "quota__sitting"))
    if f.area_id:
        seats = seats.filter(quota__area_id=f.area_id)
    if f.sitting_id:
        seats = seats.filter(quota__sitting_id=f.sitting_id)
    if f.province:
        seats = seats.filter(quota__area__province=f.province)
    return seats.order_by("quota__sitting__starts_at", "quota__area_id", "enrollment_id")


def rows(f: RosterFilter, *, full_id_numbers: bool) -> Iterator[list]:
    """One row per candidate and sitting, read in chunks of 2,000."""
    from .models import AdmissionTicket, EnrollmentSubject

    chunk = 2000
    # The ordered ids first (small), then the rows chunk by chunk: memory stays flat.
    pks = list(_seats(f).values_list("pk", flat=True))
    for start in range(0, len(pks), chunk):
        block = list(EnrollmentSeat.objects.filter(pk__in=pks[start:start + chunk]).select_related(
            "enrollment__candidate", "quota__area", "quota__sitting"))
        order = {pk: i for i, pk in enumerate(pks[start:start + chunk])}
        block.sort(key=lambda s: order[s.pk])
        enrollment_ids = [s.enrollment_id for s in block]
        subjects = {(c.enrollment_id, c.sitting_id): c.subject for c in EnrollmentSubject.objects.filter(
            enrollment_id__in=enrollment_ids).select_related("subject")}
        tickets = {(t.enrollment_id, t.sitting_id): t for t in AdmissionTicket.objects.filter(
            enrollment_id__in=enrollment_ids, void=False).select_related("venue")}
        for seat in block:
            key = (seat.enrollment_id, seat.quota.sitting_id)
            subject, ticket = subjects.get(key), tickets.get(key)
            if f.subject_id and (subject is None or subject.pk != f.subject_id):
                continue
            if f.venue_id and (ticket is None or ticket.venue_id != f.venue_id):
                continue
            candidate = seat.enrollment.candidate
            number = candidate.id_number
            yield [
                ticket.number if ticket else "", candidate.name, GENDER.get(candidate.gender, ""),
                ID_TYPE.get(candidate.id_type, candidate.id_type), number if full_id_numbers else mask_id_number(number),
                subject.name if subject else "", seat.quota.sitting.name, seat.quota.area.name,
                ticket.venue.name if ticket else "", ticket.room if ticket else "", ticket.seat if ticket else "",
                candidate.mobile if full_id_numbers else mask_mobile(candidate.mobile),
                "已缴费" if seat.state == SeatState.SOLD else "未缴费",
            ]


def write_csv(stream, f: RosterFilter, *, full_id_numbers: bool) -> int:
    stream.write("\ufeff")  # Excel reads UTF-8 Chinese headers with a BOM
    writer = csv.writer(stream)
    writer.writerow(HEADERS)
    count = 0
    for row in rows(f, full_id_numbers=full_id_numbers):
        writer.writerow(row)
        count += 1
    return count


def write_xlsx(path, f: RosterFilter, *, full_id_numbers: bool) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)  # rows go to a temporary file as they are appended
    sheet = workbook.create_sheet("考生名单")
    sheet.append(HEADERS)
    count = 0
    for row in rows(f, full_id_numbers=full_id_numbers):
        sheet.append(row)
        count += 1
    workbook.save(path)
    return count


def write_photo_zip(path, f: RosterFilter) -> int:
    """The standard photos, one file per ticket number (报名照片 of each candidate)."""
    from photos.selectors import approved_photo

    from .models import AdmissionTicket

    count = 0
    seats = _seats(f)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        done = set()
        tickets = AdmissionTicket.objects.filter(enrollment__in=seats.values("enrollment"), void=False)
        if f.sitting_id:
            tickets = tickets.filter(sitting_id=f.sitting_id)
        if f.venue_id:
            tickets = tickets.filter(venue_id=f.venue_id)
        if f.subject_id:
            tickets = tickets.filter(subject_id=f.subject_id)
        for ticket in tickets.select_related("enrollment__candidate").order_by("number").iterator(chunk_size=500):
            photo = approved_photo(ticket.enrollment.candidate)
            if photo is None or ticket.number in done:
                continue
            with photo.processed.open("rb") as image:
                archive.writestr(f"{ticket.number}.jpg", image.read())
            done.add(ticket.number)
            count += 1
    return count

