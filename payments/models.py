from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from exams.models import Exam, Sitting, Subject
from registration.models import Enrollment


class Provider(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox payment platform")
    ALIPAY = "alipay", _("Alipay")


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Unpaid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    REFUNDING = "refunding", _("Refund in progress")
    REFUNDED = "refunded", _("Refunded")


class Order(TimeStampedModel):
    """订单: one line per chosen subject; while it is unpaid its seats are held."""

    number = models.CharField(_("order number"), max_length=32, unique=True)
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="orders",
                                   verbose_name=_("enrollment"))
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders",
                                  verbose_name=_("candidate"))
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="orders", verbose_name=_("exam"))
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING,
                              db_index=True)
    provider = models.CharField(_("payment platform"), max_length=20, choices=Provider.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    area = models.ForeignKey("exams.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("exam area"),
                             null=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    provider_trade_no = models.CharField(_("platform transaction number"), max_length=64, blank=True)
    closed_at = models.DateTimeField(_("cancelled or expired at"), null=True, blank=True)
    late_payment_note = models.CharField(_("late payment"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_valid"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_not_negative"),
            models.UniqueConstraint(fields=["enrollment"], condition=Q(status="pending"),
                                    name="order_one_unpaid_per_enrollment"),
            models.UniqueConstraint(fields=["enrollment"], condition=Q(status__in=["paid", "refunding"]),
                                    name="order_one_paid_per_enrollment"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_test(self) -> bool:
        """Paid (or to be paid) through the built-in sandbox platform: no money moves."""
        return self.provider == Provider.SANDBOX


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="+", verbose_name=_("sitting"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("subject"))
    fee = models.DecimalField(_("fee (CNY)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["sitting__starts_at"]


class NotificationOutcome(models.TextChoices):
    CREDITED = "credited", _("Credited to the order")
    LATE_CREDITED = "late_credited", _("Late, seats taken again")
    LATE_REFUNDED = "late_refunded", _("Late, no seats: refunded")
    REJECTED = "rejected", _("Rejected")


class Payment(models.Model):
    """Money received: one row per platform transaction, unique, so a replay credits nothing."""

    provider = models.CharField(_("payment platform"), max_length=20, choices=Provider.choices)
    trade_no = models.CharField(_("platform transaction number"), max_length=64)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments", verbose_name=_("order"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    outcome = models.CharField(_("outcome"), max_length=20, choices=NotificationOutcome.choices)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=20, help_text=_("notify, query or return"))

    class Meta:
        verbose_name = _("payment received")
        verbose_name_plural = _("payments received")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "trade_no"], name="payment_once_per_transaction"),
            models.CheckConstraint(condition=Q(outcome__in=NotificationOutcome.values), name="payment_outcome_valid"),
        ]

    def __str__(self):
        return f"{self.provider}:{self.trade_no}"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PROCESSING = "processing", _("Processing")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed, will retry")


class RefundKind(models.TextChoices):
    CANDIDATE = "candidate", _("Requested by the candidate")
    LATE_PAYMENT = "late_payment", _("Payment arrived after the order closed")


class Refund(TimeStampedModel):
    """退费: full amount of one payment. A candidate has one refund per exam (每人只有一次退费机会)."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="refund",
                                   verbose_name=_("payment"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order"))
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="refunds",
                                  verbose_name=_("candidate"))
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("exam"))
    kind = models.CharField(_("kind"), max_length=20, choices=RefundKind.choices, default=RefundKind.CANDIDATE)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=RefundStatus.choices,
                              default=RefundStatus.REQUESTED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    provider_refund_no = models.CharField(_("platform refund number"), max_length=64, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "exam"], condition=Q(kind="candidate"),
                                    name="refund_once_per_candidate_exam"),
            models.CheckConstraint(condition=Q(status__in=RefundStatus.values), name="refund_status_valid"),
        ]

    def __str__(self):
        return f"{self.order} · {self.amount}"


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    VOIDED = "voided", _("Voided")


class Invoice(TimeStampedModel):
    """发票 record of a paid order, with the title chosen in the registration information."""

    number = models.CharField(_("invoice number"), max_length=32, unique=True)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice", verbose_name=_("order"))
    kind = models.CharField(_("invoice type"), max_length=20)
    title = models.CharField(_("invoice title"), max_length=100)
    tax_number = models.CharField(_("tax number"), max_length=18, blank=True)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"),
        ]

    def __str__(self):
        return self.number


class InvoiceCounter(models.Model):
    """Gap-free invoice numbers per year: a row lock on the year's counter."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
