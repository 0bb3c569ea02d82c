"""培训计划 for staff (SPEC H4): every institution's plans in a month calendar (plans per day) and as a
list, month by month."""
from __future__ import annotations

import calendar
import datetime

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR

from .models import PlanStatus, TrainingPlan


def _month(value: str) -> datetime.date:
    """The first day of the month asked for (?month=2025-06), this month otherwise."""
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date().replace(day=1)
    except (TypeError, ValueError):
        return timezone.localdate().replace(day=1)


def plans_in_month(first: datetime.date, *, status: str = ""):
    """Plans with at least one day in the month, by first day."""
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    plans = (TrainingPlan.objects.filter(starts_on__lte=last, ends_on__gte=first)
             .select_related("course", "institution").order_by("starts_on", "pk"))
    return plans.filter(status=status) if status else plans


@staff_member_required
@permission_required("training.view_trainingplan", raise_exception=True)
def plan_calendar(request):
    """All training plans of a month: a calendar with the plans held each day, and the list."""
    first = _month(request.GET.get("month"))
    status = request.GET.get("status", "") if request.GET.get("status") in PlanStatus.values else ""
    plans = list(plans_in_month(first, status=status))
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append([{"day": day, "in_month": day.month == first.month,
                       "plans": [p for p in plans if p.starts_on <= day <= p.ends_on]} for day in week])
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return render(request, "training/staff/plan_calendar.html", {
        "first": first, "weeks": weeks, "plans": plans, "status": status, "statuses": PlanStatus.choices,
        "previous": f"{previous:%Y-%m}", "following": f"{following:%Y-%m}", "today": timezone.localdate(),
        "weekdays": [WEEKDAYS_ABBR[i] for i in range(7)]})
