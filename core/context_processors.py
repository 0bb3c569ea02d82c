from django.conf import settings


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        # Demo only: no real SMS gateway, so point visitors at the outbox page.
        "debug_outbox": settings.DEBUG and settings.SMS_BACKEND == "accounts.sms.OutboxBackend",
    }
