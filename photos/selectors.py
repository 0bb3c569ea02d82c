from __future__ import annotations

from django.conf import settings
from django.db.models import F, Q
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
    """The photo in force of a profile (there is one at most: approving a photo replaces the earlier
    one); without a profile, the newest of them."""
    return _approved(user.pk, profile_key or None).order_by(F("decided_at").desc(nulls_last=True), "-id").first()


def has_approved_photo(user, profile_key: str) -> bool:
    """The enrollment pages' photo gate (B4), asked on every step: the same photo the upload page
    shows in use (approved_photo), so a staff rejection closes the gate there and here."""
    return _approved(user.pk, profile_key).exists()


def unanswered_staff_rejection(user) -> Photo | None:
    """The newest photo staff rejected (a decision with a time; the automatic check's refusals have
    none), unless the owner has uploaded since or a photo was approved since."""
    rejected = (Photo.objects.filter(owner=user, status=PhotoStatus.REJECTED, decided_at__isnull=False)
                .order_by("-decided_at", "-id").first())
    if rejected is None:
        return None
    since = Q(created_at__gt=rejected.decided_at) | Q(status=PhotoStatus.APPROVED, decided_at__gt=rejected.decided_at)
    return None if Photo.objects.filter(since, owner=user).exists() else rejected


def latest_attempt(user) -> Photo | None:
    return Photo.objects.filter(owner=user).order_by("-created_at", "-id").first()


def photo_for_viewer(pk: int, user) -> Photo:
    """The owner's own photo, or any photo for staff allowed to see photos; otherwise 404."""
    if user.is_staff and user.has_perm("photos.view_photo"):
        return get_object_or_404(Photo, pk=pk)
    return get_object_or_404(Photo, pk=pk, owner=user)
