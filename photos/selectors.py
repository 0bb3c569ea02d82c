from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404

from .models import Photo, PhotoStatus


def profile_key_for_exam_body(body: str) -> str:
    return settings.PHOTO_PROFILE_BY_EXAM_BODY.get(body, settings.PHOTO_DEFAULT_PROFILE)


def _approved(owner_id, profile_key=None):
    """Photos in force: approved, with a standard photo made (of a profile, when given)."""
    photos = Photo.objects.filter(owner_id=owner_id, status=PhotoStatus.APPROVED).exclude(processed="")
    return photos if profile_key is None else photos.filter(profile=profile_key)


def profile(key: str) -> dict:
    return settings.PHOTO_PROFILES.get(key) or settings.PHOTO_PROFILES[settings.PHOTO_DEFAULT_PROFILE]


def approved_photo(user, profile_key: str | None = None) -> Photo | None:
    """The photo in force: the newest approved one (of a profile, when given)."""
    return _approved(user.pk, profile_key or None).order_by("-decided_at", "-id").first()


def has_approved_photo(user, profile_key: str) -> bool:
    """The enrollment pages' photo gate (B4), asked on every step."""
    return _approved(user.pk, profile_key).exists()


def latest_attempt(user) -> Photo | None:
    return Photo.objects.filter(owner=user).order_by("-created_at", "-id").first()


def photo_for_viewer(pk: int, user) -> Photo:
    """The owner's own photo, or any photo for staff allowed to see photos; otherwise 404."""
    if user.is_staff and user.has_perm("photos.view_photo"):
        return get_object_or_404(Photo, pk=pk)
    return get_object_or_404(Photo, pk=pk, owner=user)
