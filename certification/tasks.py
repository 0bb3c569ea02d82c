"""Certification's background work (thin: each task calls one service)."""
from celery import shared_task

from . import certificates


@shared_task(name="certification.remind_expiring")
def remind_expiring() -> int:
    """Reminders 90, 60 and 30 days before a certificate expires (idempotent: once per threshold)."""
    return certificates.certificates_remind_expiring()
