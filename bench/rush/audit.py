"""After the rush, straight from the database: seats against capacity, money against seats.

Runs in the launcher (django.setup() with the bench database) once the worker has drained and
the phases are over. With the takes phase, also what its burst left (takes_audit): the takes the
load generator saw are the unpaid orders of the phase's enrollments and the seats they hold in
the hot quotas, and no hot quota is oversold."""
from __future__ import annotations


def takes_audit(enrollment_ids: list[int], takes: int, seats: int, quotas: dict) -> dict:
    """`takes` successful takes seen over HTTP, holding `seats` seats (one per chosen sitting);
    `quotas` are the hot quotas as seed.size_takes_quotas left them before the burst."""
    from django.db.models import Count

    from exams.models import SeatQuota
    from payments.models import Order, OrderLine, OrderStatus
    from registration.models import (
        Enrollment,
        EnrollmentSeat,
        EnrollmentStatus,
        SeatState,
    )

    orders = Order.objects.filter(enrollment_id__in=enrollment_ids)
    seat_rows = EnrollmentSeat.objects.filter(enrollment_id__in=enrollment_ids)
    hot_ids = [quota["quota_id"] for quota in quotas.values()]
    now = SeatQuota.objects.in_bulk(hot_ids)
    hot = {}
    for name, before in quotas.items():
        quota = now[before["quota_id"]]
        hot[name] = {"capacity": quota.capacity, "sold": quota.sold, "held": quota.held,
                     "held_before": before["held_before"], "oversold": quota.held + quota.sold > quota.capacity}
    statuses = dict(Enrollment.objects.filter(pk__in=enrollment_ids).values_list("status").annotate(n=Count("pk")))
    return {
        "takes_seen": takes, "seats_of_takes_seen": seats,
        "pending_orders": orders.filter(status=OrderStatus.PENDING).count(),
        "other_orders": orders.exclude(status=OrderStatus.PENDING).count(),
        "pending_order_lines": OrderLine.objects.filter(order__in=orders.filter(status=OrderStatus.PENDING)).count(),
        "held_seat_rows": seat_rows.filter(state=SeatState.HELD).count(),
        "seat_rows_outside_hot_quotas": seat_rows.exclude(quota_id__in=hot_ids).count(),
        "hot_quota_held_increase": sum(q["held"] - q["held_before"] for q in hot.values()),
        "enrollment_statuses": statuses,
        "awaiting_payment": statuses.get(EnrollmentStatus.PENDING_PAYMENT, 0),
        "hot_quotas": hot,
    }


def _takes_problems(takes: dict) -> list[str]:
    found = []
    if takes["pending_orders"] != takes["takes_seen"]:
        found.append(f"takes phase: {takes['takes_seen']} takes seen but {takes['pending_orders']} unpaid orders")
    if takes["other_orders"]:
        found.append(f"takes phase: {takes['other_orders']} order(s) not unpaid")
    seats = takes["seats_of_takes_seen"]
    for what in ("pending_order_lines", "held_seat_rows", "hot_quota_held_increase"):
        if takes[what] != seats:
            found.append(f"takes phase: {what.replace('_', ' ')} {takes[what]} != {seats} seats of the takes seen")
    if takes["seat_rows_outside_hot_quotas"]:
        found.append(f"takes phase: {takes['seat_rows_outside_hot_quotas']} seat(s) outside the hot quotas")
    if takes["awaiting_payment"] != takes["takes_seen"]:
        found.append(f"takes phase: {takes['awaiting_payment']} enrollments awaiting payment != takes seen")
    found.extend(f"takes phase: {name} oversold" for name, quota in takes["hot_quotas"].items() if quota["oversold"])
    return found


def audit(exam_id: int, takes: dict | None = None) -> dict:
    from django.db.models import Count, Q

    from exams.models import SeatQuota
    from payments.models import Order, OrderStatus, Payment
    from payments.sandbox.models import SandboxTransaction, TransactionStatus
    from payments.services import check_invariants
    from registration.models import (
        INACTIVE,
        Enrollment,
        EnrollmentSeat,
        EnrollmentStatus,
        SeatState,
    )

    quotas = []
    for quota in (SeatQuota.objects.filter(exam_id=exam_id).select_related("area", "sitting")
                  .order_by("area__order", "sitting__starts_at")):
        seats = EnrollmentSeat.objects.filter(quota=quota).aggregate(
            held=Count("pk", filter=Q(state=SeatState.HELD)), sold=Count("pk", filter=Q(state=SeatState.SOLD)))
        quotas.append({
            "quota": f"{quota.area.name}/{quota.sitting.name}", "capacity": quota.capacity, "held": quota.held,
            "sold": quota.sold, "seat_rows_held": seats["held"], "seat_rows_sold": seats["sold"],
            "oversold": quota.held + quota.sold > quota.capacity or seats["held"] + seats["sold"] > quota.capacity,
        })

    paid_orders = Order.objects.filter(exam_id=exam_id, status=OrderStatus.PAID)
    sold_seats = EnrollmentSeat.objects.filter(enrollment__exam_id=exam_id, state=SeatState.SOLD).count()
    paid_lines = sum(order.lines.count() for order in paid_orders.prefetch_related("lines"))
    # No lost payment: every transaction the platform took money for is recorded as a Payment.
    platform_paid = SandboxTransaction.objects.filter(status=TransactionStatus.PAID)
    recorded = set(Payment.objects.filter(provider="sandbox").values_list("trade_no", flat=True))
    lost = [txn.merchant_order_no for txn in platform_paid if txn.trade_no not in recorded]
    unnotified = platform_paid.filter(notified_at__isnull=True).count()
    two_active = list(Enrollment.objects.filter(exam_id=exam_id).exclude(status__in=INACTIVE)
                      .values("candidate_id").annotate(n=Count("pk")).filter(n__gt=1).values_list("candidate_id", flat=True))
    two_seats = list(EnrollmentSeat.objects.filter(enrollment__exam_id=exam_id, state=SeatState.SOLD)
                     .values("enrollment__candidate_id", "quota__sitting_id").annotate(n=Count("pk"))
                     .filter(n__gt=1).values_list("enrollment__candidate_id", flat=True))
    statuses = dict(Enrollment.objects.filter(exam_id=exam_id).values_list("status").annotate(n=Count("pk")))
    orders = dict(Order.objects.filter(exam_id=exam_id).values_list("status").annotate(n=Count("pk")))
    invariants = check_invariants()
    result = {
        "quotas": quotas,
        "oversold_quotas": [q["quota"] for q in quotas if q["oversold"]],
        "paid_orders": paid_orders.count(),
        "paid_order_lines": paid_lines,
        "sold_seats": sold_seats,
        "held_seats": EnrollmentSeat.objects.filter(enrollment__exam_id=exam_id, state=SeatState.HELD).count(),
        "enrolled": statuses.get(EnrollmentStatus.ENROLLED, 0),
        "enrollment_statuses": statuses,
        "order_statuses": orders,
        "payments": Payment.objects.count(),
        "payments_by_source": dict(Payment.objects.values_list("source").annotate(n=Count("pk"))),
        "platform_paid": platform_paid.count(),
        "lost_payments": lost,
        "notifications_not_delivered": unnotified,
        "candidates_two_active_enrollments": two_active,
        "candidates_two_seats_in_a_sitting": sorted(set(two_seats)),
        "invariant_violations": invariants,
        "takes": takes_audit(**takes) if takes else None,
    }
    result["problems"] = problems(result)
    return result


def problems(result: dict) -> list[str]:
    """What fails the run (besides 5xx answers, which the launcher adds)."""
    found = []
    if result["oversold_quotas"]:
        found.append(f"oversold: {', '.join(result['oversold_quotas'])}")
    if result["lost_payments"]:
        found.append(f"{len(result['lost_payments'])} payment(s) taken by the platform but not recorded")
    if result["sold_seats"] != result["paid_order_lines"]:
        found.append(f"sold seats {result['sold_seats']} != subjects of paid orders {result['paid_order_lines']}")
    if result["enrolled"] != result["paid_orders"]:
        found.append(f"enrolled {result['enrolled']} != paid orders {result['paid_orders']}")
    if result["candidates_two_active_enrollments"]:
        found.append(f"{len(result['candidates_two_active_enrollments'])} candidate(s) with two active enrollments")
    if result["candidates_two_seats_in_a_sitting"]:
        found.append(f"{len(result['candidates_two_seats_in_a_sitting'])} candidate(s) with two seats in one sitting")
    found.extend(f"invariant: {problem}" for problem in result["invariant_violations"])
    if result["takes"]:
        found.extend(_takes_problems(result["takes"]))
    return found
