from __future__ import annotations

from django.conf import settings
from django.db.models import Case, CharField, Exists, Value, When
from django.shortcuts import get_object_or_404

from core.prepared import Prepared

from .models import Photo, PhotoStatus


def profile_key_for_exam_body(body: str) -> str:
    return settings.PHOTO_PROFILE_BY_EXAM_BODY.get(body, settings.PHOTO_DEFAULT_PROFILE)


def profile_key_expression(body_field: str) -> Case:
    """profile_key_for_exam_body() in SQL, for a query that has the exam body in `body_field`."""
    return Case(*[When(**{body_field: body}, then=Value(key)) for body, key in settings.PHOTO_PROFILE_BY_EXAM_BODY.items()],
                default=Value(settings.PHOTO_DEFAULT_PROFILE), output_field=CharField())


def _approved(owner_id, profile_key=None):
    """Photos in force: approved, with a standard photo made (of a profile, when given)."""
    photos = Photo.objects.filter(owner_id=owner_id, status=PhotoStatus.APPROVED).exclude(processed="")
    return photos if profile_key is None else photos.filter(profile=profile_key)


def approved_photo_exists(owner, profile_key) -> Exists:
    """For annotating another query: the owner (an OuterRef) has an approved photo of the profile."""
    return Exists(_approved(owner, profile_key))


def profile(key: str) -> dict:
    return settings.PHOTO_PROFILES.get(key) or settings.PHOTO_PROFILES[settings.PHOTO_DEFAULT_PROFILE]


def approved_photo(user, profile_key: str | None = None) -> Photo | None:
    """The photo in force: the newest approved one (of a profile, when given)."""
    return _approved(user.pk, profile_key or None).order_by("-decided_at", "-id").first()


_APPROVED_PHOTO_OF_PROFILE = Prepared(lambda p: _approved(p.owner, p.str("profile")).values_list("pk")[:1])


def has_approved_photo(user, profile_key: str) -> bool:
    """The enrollment pages' photo gate: one prepared query (core.prepared), at every step."""
    return bool(_APPROVED_PHOTO_OF_PROFILE.rows(owner=user.pk, profile=profile_key))


def latest_attempt(user) -> Photo | None:
    return Photo.objects.filter(owner=user).order_by("-created_at", "-id").first()


def photo_for_viewer(pk: int, user) -> Photo:
    """The owner's own photo, or any photo for staff allowed to see photos; otherwise 404."""
    if user.is_staff and user.has_perm("photos.view_photo"):
        return get_object_or_404(Photo, pk=pk)
    return get_object_or_404(Photo, pk=pk, owner=user)
