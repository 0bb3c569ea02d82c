"""`make run`'s web server: Django's runserver, plus the scheduled jobs when there is no broker."""
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.scheduler import EmbeddedScheduler


def runs_scheduler() -> bool:
    """No broker (tasks in-process) means no beat: the web process runs the schedule itself."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


class Command(BaseCommand):
    help = ("Serve the site with runserver; on the embedded default (no REDIS_URL) also run the scheduled jobs "
            "(seat releases, order expiry, …) in this process.")

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        scheduler = None
        if runs_scheduler():
            scheduler = EmbeddedScheduler()
            scheduler.start()
            self.stdout.write(f"Scheduled jobs run in this process: {', '.join(sorted(scheduler.entries))}")
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if scheduler is not None:
                scheduler.stop()
