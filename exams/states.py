"""The exam's states and actions (考试发布状态), declared for the workflow core: staff publish an exam
(candidates see it and may register in its window), take a publication back while nobody has
registered, or cancel it."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.workflow import SYSTEM, Action, HasPerm, StaleState, Workflow

from .models import Exam, ExamStatus, ReleaseStatus, SeatRelease

E = ExamStatus
EDITOR = HasPerm("exams.change_exam")


def _nobody_registered(exam) -> str | None:
    if exam.enrollments.exists():
        return _("Candidates have registered for this exam: it can no longer be taken back, only cancelled.")
    return None


EXAM = Workflow(
    name="exam",
    model=Exam,
    states=ExamStatus,
    actions=[
        Action("publish", gettext_lazy("Publish"), (E.DRAFT,), E.PUBLISHED, EDITOR),
        Action("unpublish", gettext_lazy("Take the publication back"), (E.PUBLISHED,), E.DRAFT, EDITOR,
               guard=_nobody_registered),
        Action("cancel", gettext_lazy("Cancel the exam"), (E.DRAFT, E.PUBLISHED), E.CANCELLED, EDITOR,
               reason_required=True),
    ],
)


R = ReleaseStatus

# 名额释放: seats added to a quota now or at a set time (applied once by beat, or at once when due).
SEAT_RELEASE = Workflow(
    name="seat_release",
    model=SeatRelease,
    states=ReleaseStatus,
    stale=StaleState,
    actions=[
        Action("apply", gettext_lazy("Apply the release"), (R.SCHEDULED,), R.APPLIED,
               SYSTEM | HasPerm("exams.add_seatrelease")),
        Action("cancel", gettext_lazy("Cancel the release"), (R.SCHEDULED,), R.CANCELLED,
               HasPerm("exams.change_seatrelease")),
    ],
)
