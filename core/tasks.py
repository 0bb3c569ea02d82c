from celery import shared_task
from django.core.management import call_command


@shared_task(name="core.clear_expired_sessions", ignore_result=True)
def clear_expired_sessions() -> None:
    """Beat: delete the sessions past their expiry from the database (Django's clearsessions)."""
    call_command("clearsessions")
