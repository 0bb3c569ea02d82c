"""Photo submission, the automatic check and staff decisions."""
from __future__ import annotations

import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.workflow import StaleState

from . import policy, selectors, vetting
from .exceptions import PhotoLocked, PhotoRefused
from .models import Photo, PhotoStatus
from .states import CHECK_OUTCOME, PHOTO

STALLED_AFTER = datetime.timedelta(minutes=2)
MAX_CHECK_ATTEMPTS = 5


def vetting_profile(key: str) -> vetting.Profile:
    data = selectors.profile(key)
    return vetting.Profile(key=key, min_bytes=data["min_bytes"], min_width=data["min_width"],
                           min_height=data["min_height"], backgrounds=tuple(data["backgrounds"]),
                           output_size=tuple(data["output_size"]), target_bytes=data["target_bytes"])


def _move(photo: Photo, action: str, *, actor, reason: str = "", **fields) -> bool:
    """Carry out a photo action (photos.states.PHOTO); False when another worker or staff member was first."""
    try:
        PHOTO.perform(photo, action, actor=actor, reason=reason, fields=fields,
                      audit_extra={"reasons": fields.get("reasons", photo.reasons)})
    except StaleState:
        return False
    return True


def _lock_photos_of(photo: Photo) -> Photo:
    """Inside a transaction: lock the owner's photos of this profile, in id order, so that two
    decisions about one person's photos (two workers, a worker and staff) take turns and agree on
    which photo is in force; returns `photo` as it is now."""
    locked = {p.pk: p for p in Photo.objects.select_for_update().filter(
        owner_id=photo.owner_id, profile=photo.profile).order_by("pk")}
    return locked[photo.pk]


def _put_in_force(photo: Photo) -> None:
    """`photo` was just approved: the owner's earlier approved photo of its profile is replaced, so
    that one photo is in force and rejecting this one later never brings an older one back."""
    for older in Photo.objects.filter(owner_id=photo.owner_id, profile=photo.profile,
                                      status=PhotoStatus.APPROVED).exclude(pk=photo.pk):
        PHOTO.perform(older, "replace", actor=None, audit_extra={"replaced_by": photo.pk})


def photo_submit(*, owner, upload, profile_key: str) -> Photo:
    """上传证件照片 / 修改照片: keep the original privately and queue the check."""
    from . import tasks

    reason = policy.lock_reason(owner)
    if reason:
        raise PhotoLocked(reason)
    if upload.size > settings.PHOTO_UPLOAD_MAX_BYTES:
        raise PhotoRefused(_("The file is too large (over 10 MB)."))
    with transaction.atomic():
        photo = Photo(owner=owner, profile=profile_key, original_name=(upload.name or "")[:200])
        photo.original.save("original.jpg", upload, save=False)
        photo.save()
        audit_log(actor=owner, action="photo.submitted", obj=photo,
                  after={"profile": profile_key, "bytes": upload.size})
        transaction.on_commit(lambda: tasks.check_photo.delay(photo.pk))
    return photo


def photo_check(*, photo_id: int) -> None:
    """The worker's job: vet a pending photo once; safe to run twice or after a crash."""
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or photo.status != PhotoStatus.PENDING:
        return
    Photo.objects.filter(pk=photo.pk).update(check_attempts=F("check_attempts") + 1)
    with photo.original.open("rb") as original:
        data = original.read()
    result = vetting.vet(data, vetting_profile(photo.profile))  # CPU work outside any transaction
    processed_name = ""
    if result.processed:
        processed_name = photo.processed.storage.save(
            photo.processed.field.generate_filename(photo, "standard.jpg"), ContentFile(result.processed))
    approved = result.status == PhotoStatus.APPROVED
    with transaction.atomic():
        if approved:
            _lock_photos_of(photo)  # `photo` stays as read: the conditional update tells whether we were first
        moved = _move(photo, CHECK_OUTCOME[result.status], actor=None, reasons=result.reasons, metrics=result.metrics,
                      checked_at=timezone.now(), processed=processed_name,
                      decided_at=timezone.now() if approved else None)
        if moved and approved:
            _put_in_force(photo)
    if not moved and processed_name:  # someone else finished first: drop our copy
        photo.processed.storage.delete(processed_name)


def photo_decide(*, photo: Photo, actor, approve: bool, reason: str = "") -> None:
    """Staff approve or reject a photo (the manual-review queue, or overriding the check). An approved
    photo replaces the owner's earlier one; a rejected one is no longer in force and the owner is told
    why (photos.states)."""
    with transaction.atomic():
        locked = _lock_photos_of(photo)
        if approve:
            if not locked.processed:
                raise PhotoRefused(_("The check produced no standard photo: ask the candidate for another one."))
            moved = _move(locked, "approve", actor=actor, reasons=[], decided_by=actor, decided_at=timezone.now())
            if moved:
                _put_in_force(locked)
        else:
            moved = _move(locked, "reject", actor=actor, reason=reason, reasons=[reason or "rejected_by_staff"],
                          decided_by=actor, decided_at=timezone.now())
        if not moved:
            raise PhotoRefused(_("The photo was changed meanwhile. Reload the page."))
    photo.refresh_from_db()


def photos_requeue_stalled() -> int:
    """Beat: a pending photo whose check was lost (worker gone, message dropped) is queued again."""
    from . import tasks

    cutoff = timezone.now() - STALLED_AFTER
    pending = Photo.objects.filter(status=PhotoStatus.PENDING, created_at__lt=cutoff)
    # A photo whose check keeps failing goes to the staff queue instead of waiting forever.
    for photo in pending.filter(check_attempts__gte=MAX_CHECK_ATTEMPTS)[:500]:
        with transaction.atomic():
            _move(photo, "refer_to_staff", actor=None, reasons=["check_failed"], checked_at=timezone.now())
    stalled = list(pending.filter(check_attempts__lt=MAX_CHECK_ATTEMPTS).values_list("pk", flat=True)[:500])
    for photo_id in stalled:
        tasks.check_photo.delay(photo_id)
    return len(stalled)
