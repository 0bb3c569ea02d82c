"""考生名单: roster rows by exam, area, venue, sitting or subject, written as CSV, XLSX or a zip of
photos, streaming (rows are read in chunks and written as they come, never all held in memory)."""
from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import F, FilteredRelation, Q

from core import crypto
from core.exports import local_time, safe_row
from core.masking import mask_id_number, mask_mobile
from exams.models import Sitting

from .models import EnrollmentSeat, EnrollmentStatus, SeatState

HEADERS = ["准考证号", "姓名", "性别", "证件类型", "证件号码", "科目", "场次", "考试时间", "考区", "考点", "考场",
           "座位号", "手机号码", "缴费状态", "测试订单"]
# Orders paid through the built-in sandbox platform moved no money: their rows say so (测试订单 = 是).
TEST_PROVIDER = "sandbox"
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
    seats = EnrollmentSeat.objects.filter(
        quota__exam_id=f.exam_id, enrollment__status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.PENDING_PAYMENT])
    if f.area_id:
        seats = seats.filter(quota__area_id=f.area_id)
    if f.sitting_id:
        seats = seats.filter(quota__sitting_id=f.sitting_id)
    if f.province:
        seats = seats.filter(quota__area__province=f.province)
    return seats.order_by("quota__sitting__starts_at", "quota__area_id", "enrollment_id")


def rows(f: RosterFilter, *, full_id_numbers: bool) -> Iterator[list]:
    """One row per candidate and sitting: one ordered query of plain values, streamed in chunks
    (the chosen subject and the ticket of the same sitting joined in, so no row is built twice)."""
    same_sitting = F("quota__sitting_id")
    seats = _seats(f).annotate(
        choice=FilteredRelation("enrollment__choices", condition=Q(enrollment__choices__sitting_id=same_sitting)),
        ticket=FilteredRelation("enrollment__tickets", condition=Q(enrollment__tickets__sitting_id=same_sitting,
                                                                   enrollment__tickets__void=False)),
        paid_order=FilteredRelation("enrollment__orders",
                                    condition=Q(enrollment__orders__status__in=["paid", "refunding"])),
    )
    if f.subject_id:
        seats = seats.filter(choice__subject_id=f.subject_id)
    if f.venue_id:
        seats = seats.filter(ticket__venue_id=f.venue_id)
    columns = ("ticket__number", "enrollment__candidate__name", "enrollment__candidate__gender",
               "enrollment__candidate__id_type", "enrollment__candidate__id_number_encrypted", "choice__subject__name",
               "quota__sitting__name", "quota__sitting_id", "quota__area__name", "ticket__venue__name", "ticket__room",
               "ticket__seat", "enrollment__candidate__mobile", "state", "paid_order__provider")
    times = _sitting_times(f.exam_id)
    for (number, name, gender, id_type, id_token, subject, sitting, sitting_id, area, venue, room, seat, mobile,
         state, provider) in seats.values_list(*columns).iterator(chunk_size=2000):
        id_number = crypto.decrypt(id_token)
        yield [
            number or "", name, GENDER.get(gender, ""), ID_TYPE.get(id_type, id_type),
            id_number if full_id_numbers else mask_id_number(id_number), subject or "", sitting,
            times.get(sitting_id, ""), area, venue or "", room or "", seat or "",
            mobile if full_id_numbers else mask_mobile(mobile),
            "已缴费" if state == SeatState.SOLD else "未缴费", "是" if provider == TEST_PROVIDER else "",
        ]


def _sitting_times(exam_id: int) -> dict[int, str]:
    """考试时间 of each sitting of the exam, in Beijing time (stored in UTC): "2026-05-20 09:00–11:00"."""
    out = {}
    for pk, starts, ends in Sitting.objects.filter(exam_id=exam_id).values_list("pk", "starts_at", "ends_at"):
        same_day = local_time(starts, "%Y-%m-%d") == local_time(ends, "%Y-%m-%d")
        out[pk] = f"{local_time(starts)}–{local_time(ends, '%H:%M' if same_day else '%Y-%m-%d %H:%M')}"
    return out


def write_csv(stream, f: RosterFilter, *, full_id_numbers: bool) -> int:
    stream.write("\ufeff")  # Excel reads UTF-8 Chinese headers with a BOM
    writer = csv.writer(stream)
    writer.writerow(HEADERS)
    count = 0
    for row in rows(f, full_id_numbers=full_id_numbers):
        writer.writerow(safe_row(row))
        count += 1
    return count


def write_xlsx(path, f: RosterFilter, *, full_id_numbers: bool) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)  # rows go to a temporary file as they are appended
    sheet = workbook.create_sheet("考生名单")
    sheet.append(HEADERS)
    count = 0
    for row in rows(f, full_id_numbers=full_id_numbers):
        sheet.append(safe_row(row))
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

