from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from . import health


@never_cache
def healthz(request):
    result = health.check_all()
    return JsonResponse(result, status=200 if result["ok"] else 503)
