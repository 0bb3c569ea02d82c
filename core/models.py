from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
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
        moment = timezone.localtime(self.created_at)  # Beijing time, as every page shows it
        return f"{moment:%Y-%m-%d %H:%M:%S} {self.actor_repr} {self.action} {self.object_repr}"


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


class Channel(models.TextChoices):
    """Where a notice goes besides the inbox (消息中心), which always gets it."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Notification(models.Model):
    """消息: one notice in one person's inbox, written by core.notifications.notify.

    The subject and body are stored already rendered in every language of settings.LANGUAGES
    (`texts`: {language: {"subject", "body"}}) and the reader sees their own: parameters that are
    themselves translated (photo refusal reasons, status names) come out right in each language,
    and the inbox shows exactly what the e-mail or SMS said, whatever the catalogue says later."""

    # Indexed by the inbox index below (recipient first): no index of its own.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="notifications", db_index=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=80)
    texts = models.JSONField(_("texts"), default=dict)
    url = models.CharField(_("link"), max_length=300, blank=True)
    content_type = models.ForeignKey(ContentType, verbose_name=_("object type"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            # The unread badge on every page: a count over this small partial index.
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True),
                         name="notification_unread_idx"),
            models.Index(fields=["content_type", "object_id", "kind"], name="notification_object_idx"),
        ]

    def __str__(self):
        return f"{self.recipient_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def _text(self, part: str) -> str:
        from django.utils.translation import get_language

        for language in (get_language(), settings.LANGUAGE_CODE, *self.texts):
            if language in self.texts:
                return self.texts[language].get(part, "")
        return ""

    @property
    def subject(self) -> str:
        return self._text("subject")

    @property
    def body(self) -> str:
        return self._text("body")

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """Which channels beyond the inbox a person wants notices on, and in which language. No row
    means the defaults: e-mail on, SMS off (each SMS costs money), the site's default language.
    Verification codes are not notices: they go by SMS or e-mail whatever is chosen here."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                primary_key=True, related_name="notification_preference")
    email = models.BooleanField(_("by e-mail"), default=True)
    sms = models.BooleanField(_("by SMS"), default=False)
    language = models.CharField(_("language of e-mails and SMS"), max_length=10, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.user_id)

    def wants(self, channel: str) -> bool:
        return {Channel.EMAIL: self.email, Channel.SMS: self.sms}.get(channel, False)
