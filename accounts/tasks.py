from celery import shared_task
from django.core.mail import send_mail

from . import services, sms
from .models import CodeChannel


@shared_task(name="accounts.deliver_message", autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True,
             max_retries=5)
def deliver_message(channel: str, address: str, subject: str, text: str) -> None:
    """Hand a verification code or notice to the SMS gateway or the mail server."""
    if channel == CodeChannel.SMS:
        sms.get_backend().send(address, text)
    else:
        send_mail(subject, text, None, [address])


@shared_task(name="accounts.purge_stale_security_records")
def purge_stale_security_records() -> int:
    return services.security_records_purge()
