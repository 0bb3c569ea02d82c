from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from .selectors import availability_table, published_exam_or_404


def availability(request, exam_id):
    """考区名额: seats left in every area for every sitting (C4), refreshed by the page."""
    exam = published_exam_or_404(exam_id)
    sittings, rows = availability_table(exam)
    # The table is the same for everyone while the figures stay: rendered once per process for each.
    version = hash((exam.pk, exam.updated_at, tuple(s.pk for s in sittings),
                    tuple((area.pk, *seats) for area, seats in rows)))
    return render(request, "exams/availability.html",
                  {"exam": exam, "sittings": sittings, "rows": rows, "version": version})


@cache_control(max_age=2)
def availability_json(request, exam_id):
    exam = published_exam_or_404(exam_id)
    sittings, rows = availability_table(exam)
    return JsonResponse({"sittings": [s.pk for s in sittings],
                         "areas": [{"id": area.pk, "seats": seats} for area, seats in rows]})
