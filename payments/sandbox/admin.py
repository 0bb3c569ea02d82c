from django.contrib import admin

from .models import SandboxTransaction


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(admin.ModelAdmin):
    list_display = ("trade_no", "merchant_order_no", "amount", "status", "refunded_amount", "notify_attempts",
                    "notified_at", "created_at")
    list_filter = ("status",)
    search_fields = ("trade_no", "merchant_order_no")
    readonly_fields = [f.name for f in SandboxTransaction._meta.fields]
