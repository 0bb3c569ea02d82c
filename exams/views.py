from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

from .models import Exam, ExamStatus
from .selectors import availability_table


def availability(request, exam_id):
    """考区名额: seats left in every area for every sitting (C4), refreshed by the page."""
    exam = get_object_or_404(Exam, pk=exam_id, status=ExamStatus.PUBLISHED)
    sittings, rows = availability_table(exam)
    return render(request, "exams/availability.html", {"exam": exam, "sittings": sittings, "rows": rows})


@cache_control(max_age=2)
def availability_json(request, exam_id):
    exam = get_object_or_404(Exam, pk=exam_id, status=ExamStatus.PUBLISHED)
    sittings, rows = availability_table(exam)
    return JsonResponse({"sittings": [s.pk for s in sittings],
                         "areas": [{"id": area.pk, "seats": seats} for area, seats in rows]})
