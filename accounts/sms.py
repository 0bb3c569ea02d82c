"""SMS gateway backends, chosen by settings.SMS_BACKEND. A real gateway is one more class."""
import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class BaseBackend:
    def send(self, mobile: str, text: str) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Writes the message to the log (development, or a gateway not yet configured)."""

    def send(self, mobile: str, text: str) -> None:
        logger.info("sms", extra={"mobile": mobile, "text": text})


class OutboxBackend(BaseBackend):
    """Stores the message in the SMS outbox table, where tests and the demo read it."""

    def send(self, mobile: str, text: str) -> None:
        from .models import SmsMessage

        SmsMessage.objects.create(mobile=mobile, text=text)


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()
