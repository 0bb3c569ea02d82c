"""SMS gateway backends, chosen by settings.SMS_BACKEND. A real gateway is one more class; the
ones that deliver nothing (console, outbox) are listed in NOT_DELIVERING and refused in production."""
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request

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


class GatewayError(ConnectionError):
    """The gateway refused or did not answer: the delivery task retries it with backoff."""


class YunpianBackend(BaseBackend):
    """云片 (Yunpian) single_send: the text is sent as it is and must match a template approved in the
    Yunpian console; its leading 【signature】 becomes SMS_SIGNATURE when that is set."""

    def send(self, mobile: str, text: str) -> None:
        if settings.SMS_SIGNATURE:
            text = re.sub(r"^【[^】]*】", "", text)
            text = f"【{settings.SMS_SIGNATURE}】{text}"
        body = urllib.parse.urlencode({"apikey": settings.SMS_API_KEY, "mobile": mobile, "text": text}).encode()
        request = urllib.request.Request(settings.SMS_GATEWAY_URL, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded;charset=utf-8", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read().decode("utf-8"))
            except ValueError:
                raise GatewayError(f"SMS gateway answered HTTP {exc.code}") from exc
        except (OSError, ValueError) as exc:
            raise GatewayError(f"SMS gateway unreachable: {exc}") from exc
        if answer.get("code") != 0:
            # The number and the gateway's reason go to the log, never the text (it holds the code).
            logger.warning("sms refused", extra={"mobile": mobile, "gateway_code": answer.get("code"),
                                                 "gateway_msg": answer.get("msg")})
            raise GatewayError(f"SMS gateway refused the message: {answer.get('code')} {answer.get('msg')}")


NOT_DELIVERING = {"accounts.sms.ConsoleBackend", "accounts.sms.OutboxBackend"}


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()
