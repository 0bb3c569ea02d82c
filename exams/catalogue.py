"""An exam's fixed parts (sittings with their subjects and fees, and the areas holding it), kept in
each process's memory for a few seconds.

Every page of the enrollment wizard and the seats table shows them, and at the opening of
registration thousands of candidates ask for the same ones in the same second. An entry is rebuilt
when the exam row changes (its `updated_at`) or after TTL_SECONDS, so a change made in admin shows
within seconds. Only for display: what a candidate chooses and pays is checked and priced from the
database by the services."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .models import Area, Exam, ExamStatus, SeatQuota, Sitting

TTL_SECONDS = 10.0
_entries: dict[int, tuple[float, object, Catalogue]] = {}
_published: dict[int, tuple[float, Exam]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Catalogue:
    sittings: list[Sitting]  # by start time; each sitting's `subject_list` in code order
    areas: list[Area]  # areas with a quota for this exam, in display order
    subjects: dict[int, object] = field(default_factory=dict)  # subject id -> Subject
    sittings_by_id: dict[int, Sitting] = field(default_factory=dict)

    @property
    def fees(self) -> dict[str, str]:
        """{"<subject id>": "<fee>"} for the page's running total."""
        return {str(pk): str(subject.fee) for pk, subject in self.subjects.items()}


def _build(exam: Exam) -> Catalogue:
    sittings = list(Sitting.objects.filter(exam=exam).prefetch_related("subjects").order_by("starts_at"))
    subjects = {}
    for sitting in sittings:
        sitting.subject_list = sorted(sitting.subjects.all(), key=lambda subject: subject.code)
        subjects.update((subject.pk, subject) for subject in sitting.subject_list)
    area_ids = SeatQuota.objects.filter(exam=exam).values("area_id")
    areas = list(Area.objects.filter(pk__in=area_ids).order_by("order", "province", "name"))
    return Catalogue(sittings=sittings, areas=areas, subjects=subjects,
                     sittings_by_id={sitting.pk: sitting for sitting in sittings})


def of(exam: Exam, *, rebuild: bool = False) -> Catalogue:
    """The exam's catalogue, at most TTL_SECONDS old and never older than the exam row; `rebuild`
    when the caller met a sitting or subject it does not list yet."""
    entry = _entries.get(exam.pk)
    now = time.monotonic()
    if not rebuild and entry is not None and entry[0] > now and entry[1] == exam.updated_at:
        return entry[2]
    catalogue = _build(exam)
    with _lock:
        _entries[exam.pk] = (now + TTL_SECONDS, exam.updated_at, catalogue)
    return catalogue


def published_exam(exam_id: int) -> Exam | None:
    """The published exam's row for display (the seats table), at most TTL_SECONDS old: an exam
    taken back still shows its seats for those seconds, and nothing can be bought from that page.
    Only exams found are kept, so ids from the address bar cannot fill the memory."""
    entry = _published.get(exam_id)
    now = time.monotonic()
    if entry is not None and entry[0] > now:
        return entry[1]
    exam = Exam.objects.filter(pk=exam_id, status=ExamStatus.PUBLISHED).first()
    if exam is not None:
        with _lock:
            _published[exam_id] = (now + TTL_SECONDS, exam)
    return exam


def clear() -> None:
    with _lock:
        _entries.clear()
        _published.clear()
