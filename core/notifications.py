"""The message centre (消息中心, SPEC G9): every action can tell its parties.

`notify` writes one inbox row per recipient inside the caller's transaction and, once that
commits, queues an e-mail or SMS through settings.MESSAGE_DELIVERY_TASK (the dotted path of
accounts.tasks.deliver_message: core is below accounts and names it instead of importing it) on
the channels the caller allows and the recipient wants (NotificationPreference; no row means
e-mail only). Verification codes are not notices: accounts sends them itself.

Texts: `subject` and `body` are English msgids (gettext_noop at the call site, or gettext_lazy)
whose %(name)s placeholders `params` fill. They are rendered at once in every language of
settings.LANGUAGES and stored (see core.models.Notification), so a parameter may itself be a lazy
translation (gettext_lazy, or django.utils.functional.lazy of a function that translates); dates
and times show in the language's format, in local time. Each reader then sees their own language; e-mails and SMS use the recipient's chosen one.

Reading and marking read are not audited: the action that sent the notice is, and the row itself
records what was sent to whom and when.
"""
from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models, transaction
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from .audit import audit_log
from .cache import UNREACHABLE
from .exceptions import DomainError
from .models import Channel, Notification, NotificationPreference

ALL_CHANNELS = (Channel.EMAIL, Channel.SMS)


# --------------------------------------------------------------------------- writes


def notify(*, recipients: Iterable, kind: str, subject: str, body: str, params: dict | None = None,
           obj: models.Model | None = None, url: str = "", channels: Iterable[str] = ALL_CHANNELS) -> list[Notification]:
    """Inside the caller's transaction: an inbox row per recipient (users; None and repeats are
    skipped); after the commit, e-mail/SMS on `channels` for those whose preferences want them.
    `url` is a path on this site ("/photos/upload/") that the notice opens."""
    if url and (not url.startswith("/") or url.startswith("//")):
        raise ValueError(f"a notice links to a path on this site, not {url!r}")
    users = list({user.pk: user for user in recipients if user is not None}.values())
    if not users:
        return []
    texts = {code: {"subject": _render(subject, params, code), "body": _render(body, params, code)}
             for code, _name in settings.LANGUAGES}
    target = {"content_type": ContentType.objects.get_for_model(obj), "object_id": int(obj.pk)} if obj else {}
    rows = Notification.objects.bulk_create(
        [Notification(recipient=user, kind=kind, texts=texts, url=url, **target) for user in users])
    _forget_unread_now_and_on_commit([user.pk for user in users])
    channels = set(channels)
    if channels:
        preferences = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=[u.pk for u in users])}
        for user in users:
            preference = preferences.get(user.pk) or NotificationPreference(user=user)
            for channel, address, message_subject, text in _messages(user, preference, texts, url, channels):
                transaction.on_commit(functools.partial(_deliver, channel, address, message_subject, text))
    return rows


def notification_open(*, notification: Notification, actor) -> Notification:
    """The recipient opens a notice: it is read from now on (the first time counts)."""
    if notification.recipient_id != actor.pk:
        raise DomainError(gettext("This message is not yours."))
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
        _forget_unread_now_and_on_commit([actor.pk])
    return notification


def notifications_mark_all_read(*, user) -> int:
    """全部标为已读: every unread notice of the user; returns how many there were."""
    marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    _forget_unread_now_and_on_commit([user.pk])
    return marked


def notification_preferences_set(*, user, email: bool, sms: bool, language: str, actor=None) -> NotificationPreference:
    """The channels beyond the inbox and the language of e-mails and SMS; audited."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError(gettext("Choose one of the languages offered."), field="language")
    if email and not _address(user, Channel.EMAIL):
        raise DomainError(gettext("Your account has no e-mail address: add one first."), field="email")
    if sms and not _address(user, Channel.SMS):
        raise DomainError(gettext("Your account has no mobile number: add one first."), field="sms")
    with transaction.atomic():
        preference = NotificationPreference.objects.select_for_update().filter(user=user).first()
        before = {"email": preference.email, "sms": preference.sms, "language": preference.language} if preference \
            else {}
        preference = preference or NotificationPreference(user=user)
        preference.email, preference.sms, preference.language = email, sms, language
        preference.save()
        audit_log(actor=actor or user, action="notification.preferences_set", obj=user, before=before,
                  after={"email": email, "sms": sms, "language": language})
    return preference


# --------------------------------------------------------------------------- reads


def inbox(user) -> models.QuerySet[Notification]:
    """The user's notices, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


# The badge is on every page of a logged-in user: its count is kept in the cache, forgotten when a
# notice arrives or is read (after the commit), and lives at most a minute (a count read just before
# a notice's commit and stored just after it is corrected within that minute).
UNREAD_TTL = 60


def _unread_key(user_id: int) -> str:
    return f"unread:{user_id}"


def _forget_unread(user_ids: list[int]) -> None:
    try:
        cache.delete_many([_unread_key(pk) for pk in user_ids])
    except UNREACHABLE:  # Redis down: the counts expire within UNREAD_TTL anyway
        pass


def _forget_unread_now_and_on_commit(user_ids: list[int]) -> None:
    """Now, so this request's next page counts afresh; after the commit too, in case another request
    stored the old count in between."""
    _forget_unread(user_ids)
    transaction.on_commit(functools.partial(_forget_unread, user_ids))


def unread_count(user) -> int:
    """The badge: unread notices, from the cache, else one COUNT over the partial index of unread
    notices (also when the cache cannot be reached)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    key = _unread_key(user.pk)
    try:
        count = cache.get(key)
    except UNREACHABLE:
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        try:
            cache.set(key, count, UNREAD_TTL)
        except UNREACHABLE:
            pass
    return count


def notification_for(user, pk: int) -> Notification | None:
    """The user's own notice, or None (the view answers 404: nobody reads another's messages)."""
    return Notification.objects.filter(recipient=user, pk=pk).first()


def preferences_for(user) -> NotificationPreference:
    """The saved preferences, or the defaults (unsaved) when the user never chose."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


def about(obj: models.Model, kind: str) -> models.QuerySet[Notification]:
    """The notices of one kind about one object: to send something only once, check this after
    locking the object's row (a second run then waits and sees the first one's notice)."""
    return Notification.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk,
                                       kind=kind)


def notified(model, kind: str) -> models.Exists:
    """For filtering a query of `model`: a notice of `kind` about the row exists."""
    return models.Exists(Notification.objects.filter(content_type=ContentType.objects.get_for_model(model),
                                                     object_id=models.OuterRef("pk"), kind=kind))


# --------------------------------------------------------------------------- rendering and delivery


def _value(value):
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    return value


def _render(text, params: dict | None, language: str) -> str:
    with translation.override(language):
        if isinstance(text, Promise):
            text = str(text)
        elif text:
            text = gettext(text)
        if not text:
            return ""
        return text % {name: _value(value) for name, value in params.items()} if params else text


def _address(user, channel: str) -> str:
    if channel == Channel.EMAIL:
        return getattr(user, user.get_email_field_name(), "") or ""
    return getattr(user, "mobile", "") or ""  # accounts.User.mobile, by name: core does not import accounts


def _messages(user, preference: NotificationPreference, texts: dict, url: str, channels: set):
    """(channel, address, subject, text) for each delivery the user wants, in their language."""
    if not user.is_active:
        return
    language = preference.language if preference.language in texts else settings.LANGUAGE_CODE
    subject, body = texts[language]["subject"], texts[language]["body"]
    with translation.override(language):
        site = str(settings.SITE_NAME)
        if Channel.EMAIL in channels and preference.email and _address(user, Channel.EMAIL):
            lines = [body, ""]
            if url and settings.SITE_URL:
                lines += [gettext("Open: %(link)s") % {"link": settings.SITE_URL.rstrip("/") + url}, ""]
            lines.append(gettext("This notice is also in your message centre on %(site)s, where you choose which "
                                 "notices reach you by e-mail or SMS.") % {"site": site})
            yield Channel.EMAIL, _address(user, Channel.EMAIL), subject, "\n".join(lines)
        if Channel.SMS in channels and preference.sms and _address(user, Channel.SMS):
            yield Channel.SMS, _address(user, Channel.SMS), "", gettext(
                "[Exam registration] %(subject)s: %(body)s") % {"subject": subject, "body": body}


def _deliver(channel: str, address: str, subject: str, text: str) -> None:
    import_string(settings.MESSAGE_DELIVERY_TASK).delay(channel, address, subject, text)
