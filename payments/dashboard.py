"""Staff dashboard (SPEC F3): registrations, payments, revenue, refunds and seats left per exam,
area, sitting and subject. Figures come from a handful of aggregate queries."""
from __future__ import annotations

from decimal import Decimal

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404, render

from core.scoping import province_scope
from exams.models import Exam, SeatQuota
from registration.models import EnrollmentStatus, EnrollmentSubject

from .models import Order, OrderStatus, Provider, Refund


CENT = Decimal("0.01")


def figures(exam: Exam, *, province: str | None) -> dict:
    quotas = SeatQuota.objects.filter(exam=exam).select_related("area", "sitting").with_seats_left()
    enrollments = exam.enrollments.exclude(status=EnrollmentStatus.WITHDRAWN)
    orders = Order.objects.filter(exam=exam)
    refunds = Refund.objects.filter(exam=exam)
    choices = EnrollmentSubject.objects.filter(enrollment__exam=exam, enrollment__status=EnrollmentStatus.ENROLLED)
    if province is not None:
        quotas = quotas.filter(area__province=province)
        enrollments = enrollments.filter(area__province=province)
        orders = orders.filter(area__province=province)
        refunds = refunds.filter(order__area__province=province)
        choices = choices.filter(enrollment__area__province=province)
    by_status = dict(enrollments.values_list("status").annotate(n=Count("pk")))
    # Sandbox orders moved no money: counted apart, never in the revenue.
    paid = orders.filter(status=OrderStatus.PAID).aggregate(
        total=Sum("amount", filter=~Q(provider=Provider.SANDBOX)),
        test_total=Sum("amount", filter=Q(provider=Provider.SANDBOX)),
        test_count=Count("pk", filter=Q(provider=Provider.SANDBOX)))
    refunded = refunds.aggregate(total=Sum("amount"), n=Count("pk"))
    areas: dict = {}
    for quota in quotas.order_by("area__order", "area__name", "sitting__starts_at"):
        row = areas.setdefault(quota.area, [])
        row.append({"sitting": quota.sitting, "capacity": quota.capacity, "held": quota.held, "sold": quota.sold,
                    "left": quota.seats_left,
                    "percent": round(100 * (quota.held + quota.sold) / quota.capacity) if quota.capacity else 100})
    subjects = list(choices.values("subject__name").annotate(n=Count("pk")).order_by("-n"))
    top = max([s["n"] for s in subjects] or [1])
    for subject in subjects:
        subject["percent"] = round(100 * subject["n"] / top)
    return {
        "registrations": sum(by_status.values()),
        "paid": by_status.get(EnrollmentStatus.ENROLLED, 0),
        "unpaid_orders": orders.filter(status=OrderStatus.PENDING).count(),
        "revenue": Decimal(paid["total"] or 0).quantize(CENT),
        "test_orders": paid["test_count"],
        "test_revenue": Decimal(paid["test_total"] or 0).quantize(CENT),
        "refund_count": refunded["n"] or 0,
        "refund_total": Decimal(refunded["total"] or 0).quantize(CENT),
        "by_status": [(EnrollmentStatus(k).label, v) for k, v in sorted(by_status.items())],
        "areas": list(areas.items()),
        "subjects": subjects,
        "paid_by_day": list(orders.filter(~Q(paid_at=None)).annotate(day=TruncDate("paid_at"))
                            .values("day").annotate(n=Count("pk")).order_by("day")[:60]),
    }


@staff_member_required
def dashboard(request):
    exams = Exam.objects.order_by("-registration_opens_at")
    exam = get_object_or_404(Exam, pk=request.GET["exam"]) if request.GET.get("exam", "").isdigit() else exams.first()
    context = {"exams": exams, "exam": exam, "province": province_scope(request.user)}
    if exam is not None:
        context.update(figures(exam, province=context["province"]))
    return render(request, "staff/dashboard.html", context)
