"""Reads for exam pages."""
from __future__ import annotations

from django.http import Http404

from . import availability, catalogue
from .models import Area, Exam, Sitting


def displayed_exam_or_404(exam_id: int) -> Exam:
    """A published exam for a display-only page, from the catalogue (at most a few seconds old)."""
    exam = catalogue.published_exam(exam_id)
    if exam is None:
        raise Http404
    return exam


def availability_table(exam: Exam) -> tuple[list[Sitting], list[tuple[Area, list[int | None]]]]:
    """All areas × all sittings of an exam, seats left (None where the area holds no such sitting)."""
    known = catalogue.of(exam)
    left = availability.seats_left(exam.pk)
    area_ids = {area_id for area_id, _sitting in left}
    rows = [(area, [left.get((area.pk, s.pk)) for s in known.sittings]) for area in known.areas if area.pk in area_ids]
    return known.sittings, rows


def table_version(exam: Exam, sittings: list[Sitting], rows) -> int:
    """The same for the same table: the key under which the rendered seats table is kept."""
    return hash((exam.pk, exam.updated_at, tuple(s.pk for s in sittings), tuple((area.pk, *seats) for area, seats in rows)))
