from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .storage import private_storage


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One state change or sensitive read: who, when, what, before and after. Append-only."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_repr = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), null=True, blank=True, on_delete=models.SET_NULL
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_repr} {self.action} {self.object_repr}"


def _review_attachment_path(instance, filename):
    import uuid

    return f"reviews/{instance.content_type_id}/{instance.object_id}/{uuid.uuid4().hex}-{filename[-60:]}"


class Review(models.Model):
    """审核记录: one verdict in a review chain (who, in which role, at which stage, what, why, with
    which attachment). Written by core.workflow.perform for actions declared `review=True`."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("object type"))
    object_id = models.CharField(_("object id"), max_length=64)
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("reviewer"))
    role = models.CharField(_("role"), max_length=60, blank=True)
    verdict = models.CharField(_("verdict"), max_length=40)
    reason = models.TextField(_("reason"), blank=True)
    attachment = models.FileField(_("attachment"), storage=private_storage, upload_to=_review_attachment_path,
                                  blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self):
        return f"{self.verdict} · {self.created_at:%Y-%m-%d %H:%M}"


class Assignment(models.Model):
    """分配: an object given to someone to act on at a stage (an expert to evaluate an application),
    by whom, due when; `done_at` once they have."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("object type"))
    object_id = models.CharField(_("object id"), max_length=64)
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments",
                                 verbose_name=_("assigned to"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("assigned by"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"]), models.Index(fields=["assignee", "done_at"])]
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id", "stage", "assignee"],
                                               condition=models.Q(done_at=None), name="assignment_one_open_per_stage")]

    def __str__(self):
        return f"{self.assignee} · {self.stage}"
