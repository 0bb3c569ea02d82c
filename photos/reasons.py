"""What each check's refusal says to the candidate."""
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "file_too_small": _("The file is too small: the source photo must be larger than %(kb)d KB."),
    "file_too_large": _("The file is too large (over 10 MB)."),
    "not_jpeg": _("The file is not a JPG/JPEG photo. Renaming a file does not change its format: save it as JPEG."),
    "too_many_pixels": _("The image has far too many pixels to be a photo."),
    "dimensions_too_small": _("The photo is too small: it must be larger than %(w)d × %(h)d pixels (width × height)."),
    "truncated": _("The file is incomplete or damaged. Upload it again."),
    "no_face": _("No face was found. Use a frontal head-and-shoulders photo."),
    "several_faces": _("More than one face was found. The photo must show only you."),
    "face_too_close": _("The face fills too much of the photo: leave space around the head and shoulders."),
    "face_too_small": _("The face is too small. Take the photo closer, head and shoulders only."),
    "background_not_uniform": _("The background is not a plain single colour."),
    "background_colour": _("The background must be red, white or blue."),
    "background_busy": _("Objects, patterns or other colours show behind your head and shoulders. Take the photo "
                         "in front of a plain red, white or blue wall or backdrop."),
    "too_dark": _("The photo is too dark."),
    "too_bright": _("The photo is overexposed (too bright)."),
    "blurry": _("The photo is blurred. Use a sharp photo."),
    "check_failed": _("The automatic check could not finish; the association's staff will check the photo."),
    "rejected_by_staff": _("The photo was not accepted by the association's staff."),
}


# What a candidate can do after staff rejected their photo (the upload page and the notice say it).
AFTER_STAFF_REJECTION = {
    "upload": _("This photo is no longer used. Upload a new photo that meets the requirements: once it is "
                "approved you can register for an exam or go on with your registration."),
    "other_in_use": _("Your other approved photo stays in use. You may upload a new one to replace it."),
    "locked": _("Registration has closed, so your photo can no longer be changed on this site: contact the "
                "association's staff."),
}


def after_staff_rejection(*, in_force: bool, locked: bool):
    """The next step after a staff rejection, as a lazy text (rendered in the reader's language)."""
    return AFTER_STAFF_REJECTION["locked" if locked else "other_in_use" if in_force else "upload"]


def describe(codes, profile: dict) -> list[str]:
    values = {"kb": profile["min_bytes"] // 1024, "w": profile["min_width"], "h": profile["min_height"]}
    return [str(MESSAGES[code]) % values if code in MESSAGES else str(code) for code in codes]
