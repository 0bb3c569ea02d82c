"""The photo's states and actions (证件照片审核), declared for the workflow core: the automatic check
(the worker) decides first; staff approve or reject what it referred to them, or overrule it."""
from django.utils.translation import gettext_lazy

from core.workflow import SYSTEM, Action, HasPerm, StaleState, Workflow

from . import notices
from .exceptions import PhotoRefused
from .models import Photo, PhotoStatus

P = PhotoStatus
STAFF = HasPerm("photos.change_photo")


def owner_told_photo_rejected(photo) -> None:
    notices.photo_moved(photo=photo, status=photo.status, reasons=photo.reasons)


def owner_told_staff_rejected_photo(photo) -> None:
    notices.photo_rejected_by_staff(photo=photo)


PHOTO = Workflow(
    name="photo",
    model=Photo,
    states=PhotoStatus,
    refused=PhotoRefused,
    stale=StaleState,
    stale_message=gettext_lazy("The photo was changed meanwhile. Reload the page."),
    actions=[
        Action("pass_check", gettext_lazy("Passed the automatic check"), (P.PENDING,), P.APPROVED, SYSTEM),
        Action("fail_check", gettext_lazy("Failed the automatic check"), (P.PENDING,), P.REJECTED, SYSTEM,
               notify=(owner_told_photo_rejected,)),
        Action("refer_to_staff", gettext_lazy("Referred to a staff check"), (P.PENDING,), P.MANUAL_REVIEW, SYSTEM),
        Action("approve", gettext_lazy("Approve the photo"), (P.PENDING, P.MANUAL_REVIEW, P.REJECTED), P.APPROVED,
               STAFF, review=True),
        Action("reject", gettext_lazy("Reject the photo"), (P.PENDING, P.MANUAL_REVIEW, P.APPROVED), P.REJECTED,
               STAFF, review=True, notify=(owner_told_staff_rejected_photo,)),
        # The service that approves a photo replaces the owner's earlier approved one of its profile.
        Action("replace", gettext_lazy("Replaced by a newer photo"), (P.APPROVED,), P.REPLACED, SYSTEM),
    ],
)

# What the automatic check's verdict means as an action of the worker.
CHECK_OUTCOME = {P.APPROVED: "pass_check", P.REJECTED: "fail_check", P.MANUAL_REVIEW: "refer_to_staff"}
