"""What the message centre (SPEC G9) tells a candidate about their photo."""
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_noop

from core.notifications import notify

from . import policy, selectors
from . import reasons as reason_texts
from .models import Photo, PhotoStatus


def _reason_lines(codes: list, profile: dict) -> str:
    return "\n".join(reason_texts.describe(codes, profile))


# Rendered by notify() once per language: the refusal reasons in the reader's words.
_reason_lines_lazy = lazy(_reason_lines, str)


def photo_moved(*, photo: Photo, status: str, reasons: list) -> None:
    """Inside the status change's transaction: the owner of a photo the automatic check rejected is
    told why, with a link to upload another one (staff rejections: photo_rejected_by_staff)."""
    if status != PhotoStatus.REJECTED:
        return
    notify(recipients=[photo.owner], kind="photo.rejected", obj=photo, url=reverse("photos:upload"),
           subject=gettext_noop("Your photo was not accepted"),
           body=gettext_noop("Your ID photo was not accepted:\n%(reasons)s\nUpload another one."),
           params={"reasons": _reason_lines_lazy(list(reasons), selectors.profile(photo.profile))})


def photo_rejected_by_staff(*, photo: Photo) -> None:
    """Inside the rejection's transaction: the owner is told that staff did not accept the photo,
    their reason, and what to do now (upload another, or contact staff once the photo is locked)."""
    next_step = reason_texts.after_staff_rejection(
        in_force=selectors.has_approved_photo(photo.owner, photo.profile), locked=bool(policy.lock_reason(photo.owner)))
    notify(recipients=[photo.owner], kind="photo.rejected", obj=photo, url=reverse("photos:upload"),
           subject=gettext_noop("Your photo was not accepted"),
           body=gettext_noop("The association's staff did not accept your ID photo:\n%(reasons)s\n%(next_step)s"),
           params={"reasons": _reason_lines_lazy(list(photo.reasons), selectors.profile(photo.profile)),
                   "next_step": next_step})
