"""A real Celery worker process, a real Redis broker, the real test database."""
import time

import pytest

from accounts import services
from accounts.models import CodeChannel, CodePurpose, SmsMessage
from tests.workers import celery_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    with celery_worker(settings, "core") as process:
        yield process


def test_code_sent_by_the_service_is_delivered_by_the_worker(worker):
    services.verification_code_send(channel=CodeChannel.SMS, address="13600001111", purpose=CodePurpose.SIGNUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not SmsMessage.objects.filter(mobile="13600001111").exists():
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.2)
    message = SmsMessage.objects.get(mobile="13600001111")
    assert "验证码" in message.text or "verification code" in message.text
