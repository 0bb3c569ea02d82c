from celery import shared_task

from . import services


@shared_task(name="payments.expire_orders")
def expire_orders() -> int:
    return services.orders_expire_due()


@shared_task(name="payments.warn_expiring_orders")
def warn_expiring_orders() -> int:
    return services.orders_warn_expiring()


@shared_task(name="payments.reconcile_pending")
def reconcile_pending() -> int:
    return services.orders_reconcile()


@shared_task(name="payments.process_refund", bind=True, acks_late=True, max_retries=6)
def process_refund(self, refund_id: int) -> str:
    status = services.refund_process(refund_id=refund_id)
    if status == "failed" and not self.app.conf.task_always_eager:
        raise self.retry(countdown=min(3600, 60 * 2 ** self.request.retries))
    return status


@shared_task(name="payments.retry_refunds")
def retry_refunds() -> int:
    return services.refunds_retry_failed()
