import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel


class _PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError("Private files have no public URL: link to the photos:file view instead.")


class PrivateStorage(LazyObject):
    """Files outside every public URL: only photos.views serves them, after an access check."""

    def _setup(self):
        self._wrapped = _PrivateFileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT)


private_storage = PrivateStorage()


def _original_path(instance, filename):
    return f"photos/original/{instance.owner_id}/{uuid.uuid4().hex}.jpg"


def _processed_path(instance, filename):
    return f"photos/processed/{instance.owner_id}/{uuid.uuid4().hex}.jpg"


class PhotoStatus(models.TextChoices):
    PENDING = "pending", _("Being checked")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("photo status", "Rejected")
    MANUAL_REVIEW = "manual_review", _("Waiting for a staff check")
    # A newer photo of the same requirement profile was approved: this one is no longer used, and a
    # staff rejection of the newer one never brings it back.
    REPLACED = "replaced", _("Replaced by a newer photo")


# Every legal move and who may make it: photos.states.PHOTO (the workflow core).


class Photo(TimeStampedModel):
    """证件照片: one submitted photo and what the check made of it. A person has at most one approved
    photo per requirement profile, the one in force (documents use it, the enrollment gate asks for
    it): approving another replaces it (photos.services)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos",
                              verbose_name=_("owner"))
    profile = models.CharField(_("requirement profile"), max_length=20)
    status = models.CharField(_("status"), max_length=20, choices=PhotoStatus.choices, default=PhotoStatus.PENDING,
                              db_index=True)
    original = models.FileField(_("original"), storage=private_storage, upload_to=_original_path)
    processed = models.FileField(_("standard photo"), storage=private_storage, upload_to=_processed_path,
                                 blank=True)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    metrics = models.JSONField(_("measurements"), default=dict, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    check_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("ID photo")
        verbose_name_plural = _("ID photos")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "status", "-decided_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PhotoStatus.values), name="photo_status_valid"),
        ]

    def __str__(self):
        return f"{self.owner} · {self.get_status_display()} · {self.created_at:%Y-%m-%d %H:%M}"
