import functools

from django.conf import settings

from . import notifications


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        # Demo only: no real SMS gateway, so point visitors at the outbox page.
        # The sandbox payment platform moves no money: every page says so while it is on.
        "payment_sandbox": settings.PAYMENT_SANDBOX_ENABLED,
        "debug_outbox": settings.DEBUG and settings.SMS_BACKEND == "accounts.sms.OutboxBackend",
        "debug_mail_outbox": settings.DEBUG and settings.EMAIL_BACKEND == "accounts.mail.OutboxBackend",
    }


class _Inbox:
    """The header's unread badge: counted when a template first asks (one COUNT), never for visitors."""

    def __init__(self, user):
        self._user = user

    @functools.cached_property
    def unread(self) -> int:
        return notifications.unread_count(self._user)


def inbox(request):
    return {"inbox": _Inbox(getattr(request, "user", None))}
