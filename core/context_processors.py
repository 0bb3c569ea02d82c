from django.conf import settings


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        # Demo only: no real SMS gateway, so point visitors at the outbox page.
        # The sandbox payment platform moves no money: every page says so while it is on.
        "payment_sandbox": settings.PAYMENT_SANDBOX_ENABLED,
        "debug_outbox": settings.DEBUG and settings.SMS_BACKEND == "accounts.sms.OutboxBackend",
    }
