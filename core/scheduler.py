"""The scheduled jobs on the embedded default (`make run` without REDIS_URL).

There is no broker there, so no Celery beat: tasks run in-process (CELERY_TASK_ALWAYS_EAGER). This
thread, started beside the web server by `manage.py serve`, runs the same CELERY_BEAT_SCHEDULE in
the same process, so the jobs see the same in-process cache as the pages: scheduled seat releases
are applied, unpaid orders expire, stalled photo checks are retried. With REDIS_URL set, beat and
a worker do this instead and this thread is not started.
"""
import logging
import threading
from datetime import datetime

from celery.schedules import maybe_schedule
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


class EmbeddedScheduler(threading.Thread):
    """Runs each entry of `schedule` (the shape of CELERY_BEAT_SCHEDULE) when Celery's own schedule
    object says it is due, one at a time; a failing job is logged and tried again next time."""

    def __init__(self, schedule: dict | None = None, tick: float = 1.0):
        super().__init__(name="embedded-scheduler", daemon=True)
        from config.celery import app

        self.app = app
        app.loader.import_default_modules()  # the tasks modules, as a worker loads them
        self.tick = tick
        self.entries = {name: (entry, maybe_schedule(entry["schedule"], app=app))
                        for name, entry in (settings.CELERY_BEAT_SCHEDULE if schedule is None else schedule).items()}
        started = self.app.now()
        self.last_run: dict[str, datetime] = dict.fromkeys(self.entries, started)
        self._stopping = threading.Event()

    def run_due(self) -> list[str]:
        """Run every job that is due now; returns their names."""
        ran = []
        for name, (entry, schedule) in self.entries.items():
            due, _next_check = schedule.is_due(self.last_run[name])
            if not due:
                continue
            self.last_run[name] = self.app.now()
            close_old_connections()
            try:
                self.app.tasks[entry["task"]].apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}),
                                                    throw=True)
            except Exception:
                logger.exception("scheduled job failed", extra={"job": name})
            finally:
                close_old_connections()
            ran.append(name)
        return ran

    def run(self) -> None:
        logger.info("embedded scheduler started", extra={"jobs": sorted(self.entries)})
        while not self._stopping.wait(self.tick):
            self.run_due()

    def stop(self) -> None:
        self._stopping.set()
