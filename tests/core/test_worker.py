"""A real Celery worker process, a real Redis broker, the real test database."""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from accounts import services
from accounts.models import CodeChannel, CodePurpose, SmsMessage
from config.celery import app

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(settings):
    """Start a worker on a queue of its own; the code under test publishes to that queue."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {**os.environ,
           "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "DJANGO_DEBUG": "false",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "REDIS_URL": settings.REDIS_URL,
           "SMS_BACKEND": "accounts.sms.OutboxBackend"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wanted = {"task_always_eager": False, "task_default_queue": queue, "broker_url": settings.REDIS_URL}
    saved = {key: app.conf[key] for key in wanted}
    app.conf.update(wanted)
    yield process
    app.conf.update(saved)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_code_sent_by_the_service_is_delivered_by_the_worker(worker):
    services.verification_code_send(channel=CodeChannel.SMS, address="13600001111", purpose=CodePurpose.SIGNUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not SmsMessage.objects.filter(mobile="13600001111").exists():
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.2)
    message = SmsMessage.objects.get(mobile="13600001111")
    assert "验证码" in message.text or "verification code" in message.text
