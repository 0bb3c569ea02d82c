"""A real Celery worker process for integration tests: its own queue, the test database, Redis."""
import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def celery_worker(settings, name: str, **extra_env):
    """Start a worker on a queue of its own and make the code under test publish there."""
    queue = f"test-{name}-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {**os.environ,
           "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "DJANGO_DEBUG": "false",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "REDIS_URL": settings.REDIS_URL,
           "SMS_BACKEND": "accounts.sms.OutboxBackend",
           "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
           **extra_env}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wanted = {"task_always_eager": False, "task_default_queue": queue, "broker_url": settings.REDIS_URL}
    saved = {key: app.conf[key] for key in wanted}
    app.conf.update(wanted)
    try:
        yield process
    finally:
        app.conf.update(saved)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        # retries still waiting (ETA) go back to the queue on shutdown: drop them (best effort)
        with contextlib.suppress(Exception), app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
