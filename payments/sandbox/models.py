from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TransactionStatus(models.TextChoices):
    WAITING = "WAIT_BUYER_PAY", _("Waiting for the payer")
    PAID = "TRADE_SUCCESS", _("Paid")
    CLOSED = "TRADE_CLOSED", _("Closed")


class SandboxTransaction(models.Model):
    """One payment on the sandbox platform (the platform's own books, not the merchant's)."""

    trade_no = models.CharField(_("platform transaction number"), max_length=64, unique=True)
    merchant_order_no = models.CharField(_("merchant order number"), max_length=64, unique=True)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    subject = models.CharField(pgettext_lazy("payment title", "subject"), max_length=200)
    notify_url = models.URLField(_("notification URL"), max_length=500)
    return_url = models.URLField(_("return URL"), max_length=500)
    status = models.CharField(_("status"), max_length=20, choices=TransactionStatus.choices,
                              default=TransactionStatus.WAITING)
    refunded_amount = models.DecimalField(_("refunded (CNY)"), max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    notify_attempts = models.PositiveSmallIntegerField(default=0)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox transaction")
        verbose_name_plural = _("sandbox transactions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(refunded_amount__lte=models.F("amount")),
                                   name="sandbox_refund_not_above_amount"),
        ]

    def __str__(self):
        return self.trade_no


class SandboxRefund(models.Model):
    transaction = models.ForeignKey(SandboxTransaction, on_delete=models.PROTECT, related_name="refunds")
    request_no = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
