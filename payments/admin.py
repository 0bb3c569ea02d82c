import csv

from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.admin_history import AuditHistoryMixin
from core.exceptions import DomainError
from core.exports import safe_row
from core.workflow import can

from . import services
from .models import Invoice, Order, OrderLine, Payment, Refund
from .states import REFUND


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money records change only through services: nothing is edited or deleted by hand here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ("sitting", "subject", "fee")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(AuditHistoryMixin, ReadOnlyAdmin):
    list_display = ("number", "candidate", "exam", "amount", "status", "provider", "test_order", "created_at", "paid_at")
    list_filter = ("status", "provider", "exam")
    search_fields = ("number", "provider_trade_no", "candidate__name", "candidate__username", "candidate__mobile")
    list_select_related = ("candidate", "exam")
    inlines = [OrderLineInline]
    date_hierarchy = "created_at"
    readonly_fields = ("test_order",)

    @admin.display(description=_("Test order (no money moved)"), boolean=True, ordering="provider")
    def test_order(self, order):
        return order.is_test


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("trade_no", "provider", "order", "amount", "outcome", "source", "received_at")
    list_filter = ("provider", "outcome", "source")
    search_fields = ("trade_no", "order__number")


@admin.register(Refund)
class RefundAdmin(AuditHistoryMixin, ReadOnlyAdmin):
    list_display = ("order", "candidate", "exam", "amount", "kind", "status", "attempts", "last_error", "created_at")
    list_filter = ("status", "kind", "exam")
    search_fields = ("order__number", "candidate__name", "candidate__username")
    actions = ["retry"]

    @admin.action(description=_("Send the selected failed refunds again"), permissions=["change"])
    def retry(self, request, queryset):
        """Queued for the worker (the platform is never called in this request), audited with the staff member."""
        queued = 0
        for refund in queryset.filter(status__in=REFUND.action("retry").source):
            if not can(refund, request.user, "retry"):
                continue
            try:
                services.refund_retry(refund=refund, actor=request.user)
            except DomainError as exc:  # a worker took it meanwhile
                messages.error(request, f"{refund}: {exc.message}")
            else:
                queued += 1
        messages.info(request, _("%(n)d refunds queued to be sent again.") % {"n": queued})

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.has_perm("payments.change_refund")  # for the action only


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "order", "kind", "title", "tax_number", "amount", "status", "created_at")
    list_filter = ("status", "kind", "order__exam")
    search_fields = ("number", "title", "tax_number", "order__number")
    actions = ["export_csv"]

    @admin.action(description=_("Export the selected invoices (CSV)"))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="invoices.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
        writer = csv.writer(response)
        writer.writerow(["发票号码", "订单号", "类型", "抬头", "税号", "金额", "状态", "开具时间", "测试订单"])
        for invoice in queryset.select_related("order"):
            writer.writerow(safe_row([
                invoice.number, invoice.order.number, invoice.kind, invoice.title, invoice.tax_number,
                f"{invoice.amount:.2f}", invoice.get_status_display(),
                timezone.localtime(invoice.created_at).strftime("%Y-%m-%d %H:%M"), "是" if invoice.order.is_test else ""]))
        return response
