import logging

from celery import shared_task
from django.core.cache import cache

from core.cache import UNREACHABLE

from . import availability, services
from .models import Exam, ExamStatus

logger = logging.getLogger(__name__)

REFRESH_COALESCE_SECONDS = 1


def schedule_availability_refresh(exam_id: int) -> None:
    """Queue a refresh of the displayed availability, at most one per exam per second (with a
    worker); in-process, refresh at once. Runs after the seat change's commit: with Redis
    unreachable it gives up quietly (the pages compute the figures meanwhile, and the beat job
    refreshes them every few seconds once Redis is back)."""
    if refresh_availability.app.conf.task_always_eager:
        availability.refresh(exam_id)
        return
    try:
        first = cache.add(f"availability:pending:{exam_id}", 1, REFRESH_COALESCE_SECONDS)
    except UNREACHABLE as exc:
        logger.warning("seat figures not refreshed: Redis unreachable", extra={"exam": exam_id,
                                                                             "error": str(exc)[:200]})
        return
    if first:
        refresh_availability.apply_async(args=[exam_id], countdown=REFRESH_COALESCE_SECONDS)


@shared_task(name="exams.refresh_availability", ignore_result=True)
def refresh_availability(exam_id: int) -> None:
    availability.refresh(exam_id)


@shared_task(name="exams.refresh_open_availability", ignore_result=True)
def refresh_open_availability() -> None:
    """Beat: keep every published exam's availability warm."""
    for exam_id in Exam.objects.filter(status=ExamStatus.PUBLISHED).values_list("pk", flat=True):
        availability.refresh(exam_id)


@shared_task(name="exams.apply_due_releases", ignore_result=True)
def apply_due_releases() -> int:
    return services.releases_apply_due()
