"""What the message centre (SPEC G9) tells a candidate about their photo."""
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_noop

from core.notifications import notify

from . import reasons as reason_texts
from . import selectors
from .models import Photo, PhotoStatus


def _reason_lines(codes: list, profile: dict) -> str:
    return "\n".join(reason_texts.describe(codes, profile))


# Rendered by notify() once per language: the refusal reasons in the reader's words.
_reason_lines_lazy = lazy(_reason_lines, str)


def photo_moved(*, photo: Photo, status: str, reasons: list) -> None:
    """Inside the status change's transaction: the owner of a rejected photo is told why (the
    automatic check's reasons or the staff member's), with a link to upload another one."""
    if status != PhotoStatus.REJECTED:
        return
    notify(recipients=[photo.owner], kind="photo.rejected", obj=photo, url=reverse("photos:upload"),
           subject=gettext_noop("Your photo was not accepted"),
           body=gettext_noop("Your ID photo was not accepted:\n%(reasons)s\nUpload another one."),
           params={"reasons": _reason_lines_lazy(list(reasons), selectors.profile(photo.profile))})
