"""What publishing a task does when the broker (Redis) cannot be reached.

Tasks are queued after the commit of the change that asks for them (transaction.on_commit), so by
then the user's data is saved: failing the page would only make them repeat what is done, or
show them a 500 for it. The lost message is logged instead (the task's name, never its
arguments, which may carry a code or an address), and the scheduled jobs that scan the database
pick the work up again once the broker answers: docs/operations.md says which job recovers what."""
import logging

from celery import Task as CeleryTask
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


class Task(CeleryTask):
    """The base of every task of the project (config/celery.py: task_cls)."""

    def apply_async(self, *args, **kwargs):
        try:
            return super().apply_async(*args, **kwargs)
        except OperationalError as exc:
            if self.app.conf.task_always_eager:
                raise  # the task itself failed in-process: not a publishing problem
            logger.error("task not queued: broker unreachable", extra={"task": self.name, "error": str(exc)[:200]})
            return None
