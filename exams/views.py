from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from .selectors import availability_table, displayed_exam_or_404, table_version


def availability(request, exam_id):
    """考区名额: seats left in every area for every sitting (C4), refreshed by the page."""
    exam = displayed_exam_or_404(exam_id)
    sittings, rows = availability_table(exam)
    return render(request, "exams/availability.html", {
        "exam": exam, "sittings": sittings, "rows": rows, "version": table_version(exam, sittings, rows)})


@cache_control(max_age=2)
def availability_json(request, exam_id):
    exam = displayed_exam_or_404(exam_id)
    sittings, rows = availability_table(exam)
    return JsonResponse({"sittings": [s.pk for s in sittings],
                         "areas": [{"id": area.pk, "seats": seats} for area, seats in rows]})
