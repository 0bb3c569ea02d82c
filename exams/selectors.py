"""Reads for exam pages."""
from __future__ import annotations

from . import availability
from .models import Area, Exam, Sitting


def availability_table(exam: Exam) -> tuple[list[Sitting], list[tuple[Area, list[int | None]]]]:
    """All areas × all sittings of an exam, seats left (None where the area holds no such sitting)."""
    sittings = list(exam.sittings.order_by("starts_at"))
    left = availability.seats_left(exam.pk)
    area_ids = {area_id for area_id, _sitting in left}
    rows = [(area, [left.get((area.pk, s.pk)) for s in sittings])
            for area in Area.objects.filter(pk__in=area_ids).order_by("order", "province", "name")]
    return sittings, rows
