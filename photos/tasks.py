from celery import shared_task

from . import services


@shared_task(name="photos.check_photo", acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,),
             retry_backoff=True, max_retries=5, soft_time_limit=60, time_limit=90)
def check_photo(photo_id: int) -> None:
    services.photo_check(photo_id=photo_id)


@shared_task(name="photos.requeue_stalled")
def requeue_stalled() -> int:
    return services.photos_requeue_stalled()
