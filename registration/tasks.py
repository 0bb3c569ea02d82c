from celery import shared_task

from .services import exports


@shared_task(name="registration.export_roster", acks_late=True, time_limit=1800, soft_time_limit=1700)
def export_roster(export_id: int) -> None:
    exports.roster_export_run(export_id=export_id)
