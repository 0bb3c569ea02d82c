import csv

from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from core.admin_forms import PlainTextAdmin, ReadOnlyAdmin
from core.admin_history import AuditHistoryMixin
from core.admin_labels import labelled_filter
from core.admin_search import CandidateSearchMixin
from core.exceptions import DomainError
from core.exports import local_time, safe_row
from core.workflow import can
from registration.models import InvoiceType

from . import services
from .models import Invoice, Order, OrderLine, Payment, Refund
from .states import REFUND


class OrderLineInline(PlainTextAdmin, admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ("sitting", "subject", "fee")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(CandidateSearchMixin, AuditHistoryMixin, ReadOnlyAdmin):
    list_display = ("number", "candidate", "exam", "amount", "status", "provider", "test_order", "created_at", "paid_at")
    list_filter = ("status", "provider", "exam")
    search_fields = ("number", "provider_trade_no")
    number_search_fields = ("enrollment__tickets__number",)
    list_select_related = ("candidate", "exam")
    inlines = [OrderLineInline]
    date_hierarchy = "created_at"
    readonly_fields = ("test_order",)

    @admin.display(description=_("Test order (no money moved)"), boolean=True, ordering="provider")
    def test_order(self, order):
        return order.is_test


# How a payment reached us (Payment.source holds the code).
PAYMENT_SOURCES = {"notify": _("Asynchronous notification"), "query": _("Status query"),
                   "return": _("Browser return")}


@admin.register(Payment)
class PaymentAdmin(CandidateSearchMixin, ReadOnlyAdmin):
    list_display = ("trade_no", "provider", "order", "candidate", "amount", "outcome", "source_label", "received_at")
    list_filter = ("provider", "outcome", labelled_filter("source", _("source"), lambda: list(PAYMENT_SOURCES.items())))
    search_fields = ("trade_no", "order__number")
    candidate_path = "order__candidate"
    number_search_fields = ("order__enrollment__tickets__number",)
    list_select_related = ("order__candidate",)

    @admin.display(description=_("candidate"))
    def candidate(self, obj):
        return obj.order.candidate

    @admin.display(description=_("source"), ordering="source")
    def source_label(self, obj):
        return PAYMENT_SOURCES.get(obj.source, obj.source)


@admin.register(Refund)
class RefundAdmin(CandidateSearchMixin, AuditHistoryMixin, ReadOnlyAdmin):
    list_display = ("order", "candidate", "exam", "amount", "kind", "status", "attempts", "last_error", "created_at")
    list_filter = ("status", "kind", "exam")
    search_fields = ("order__number",)
    number_search_fields = ("order__enrollment__tickets__number",)
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


def invoice_kind_label(kind: str) -> str:
    """个人 / 单位 in the interface language (Invoice.kind holds registration's InvoiceType code)."""
    try:
        return str(InvoiceType(kind).label)
    except ValueError:
        return kind


@admin.register(Invoice)
class InvoiceAdmin(CandidateSearchMixin, ReadOnlyAdmin):
    list_display = ("number", "order", "candidate", "kind_label", "title", "tax_number", "amount", "status",
                    "created_at")
    list_filter = ("status", labelled_filter("kind", _("invoice type"), lambda: InvoiceType.choices), "order__exam")
    search_fields = ("number", "title", "tax_number", "order__number")
    candidate_path = "order__candidate"
    number_search_fields = ("order__enrollment__tickets__number",)
    list_select_related = ("order__candidate",)
    actions = ["export_csv"]

    @admin.display(description=_("candidate"))
    def candidate(self, obj):
        return obj.order.candidate

    @admin.display(description=_("invoice type"), ordering="kind")
    def kind_label(self, obj):
        return invoice_kind_label(obj.kind)

    def get_fields(self, request, obj=None):
        fields = [name for name in super().get_fields(request, obj) if name != "kind_label"]
        return ["kind_label" if name == "kind" else name for name in fields]

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "kind_label")

    @admin.action(description=_("Export the selected invoices (CSV)"))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="invoices.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
        writer = csv.writer(response)
        writer.writerow(["发票号码", "订单号", "类型", "抬头", "税号", "金额", "状态", "开具时间", "测试订单"])
        for invoice in queryset.select_related("order"):
            writer.writerow(safe_row([
                invoice.number, invoice.order.number, invoice_kind_label(invoice.kind), invoice.title, invoice.tax_number,
                f"{invoice.amount:.2f}", invoice.get_status_display(),
                local_time(invoice.created_at), "是" if invoice.order.is_test else ""]))
        return response
