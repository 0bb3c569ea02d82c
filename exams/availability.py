"""Seats left per area and sitting, for display (SPEC C4).

Served from the cache, which the worker refreshes after every seat change and every few seconds;
a miss, or a Redis that cannot be reached, falls back to one database query. The cache only
informs: exams.services decides."""
from __future__ import annotations

import logging

from django.core.cache import cache

from core.cache import UNREACHABLE

from .models import SeatQuota

logger = logging.getLogger(__name__)

TTL_SECONDS = 30


def _key(exam_id: int) -> str:
    return f"availability:v1:{exam_id}"


def compute(exam_id: int) -> dict[str, int]:
    """{"<area_id>:<sitting_id>": seats_left} straight from the database."""
    rows = SeatQuota.objects.filter(exam_id=exam_id).with_seats_left().values_list("area_id", "sitting_id", "seats_left")
    return {f"{area}:{sitting}": left for area, sitting, left in rows}


def refresh(exam_id: int) -> dict[str, int]:
    data = compute(exam_id)
    try:
        cache.set(_key(exam_id), data, TTL_SECONDS)
    except UNREACHABLE as exc:  # shown from the database meanwhile; the beat job caches them again
        logger.warning("seat figures not cached: Redis unreachable", extra={"exam": exam_id, "error": str(exc)[:200]})
    return data


def seats_left(exam_id: int) -> dict[tuple[int, int], int]:
    """{(area_id, sitting_id): seats_left}, at most a few seconds old."""
    try:
        data = cache.get(_key(exam_id))
    except UNREACHABLE as exc:
        logger.warning("seat figures from the database: Redis unreachable", extra={"exam": exam_id,
                                                                                 "error": str(exc)[:200]})
        data = compute(exam_id)
    if data is None:
        data = refresh(exam_id)
    return {tuple(int(part) for part in key.split(":")): left for key, left in data.items()}
