import logging

from celery import shared_task

from . import api

logger = logging.getLogger(__name__)


@shared_task(name="paysandbox.deliver_notification", bind=True, max_retries=8, acks_late=True)
def deliver_notification(self, txn_id: int) -> None:
    """Like a real platform: retry with growing delays until the merchant answers `success`."""
    try:
        api.deliver_notification(txn_id)
    except Exception as exc:  # any failure of the merchant's endpoint means: try again later
        logger.warning("sandbox notification failed", extra={"txn": txn_id, "error": str(exc)[:200]})
        if self.app.conf.task_always_eager:
            return  # in-process demo: the "支付完毕" check and the reconciliation job credit the payment
        raise self.retry(exc=exc, countdown=min(600, 5 * 2 ** self.request.retries))
