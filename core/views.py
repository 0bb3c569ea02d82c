from django.http import Http404, JsonResponse
from django.views.decorators.cache import never_cache

from . import health


@never_cache
def healthz(request):
    result = health.check_all()
    return JsonResponse(result, status=200 if result["ok"] else 503)


def switched_off(request, *args, **kwargs):
    """A route a library adds that this product does not offer."""
    raise Http404("not offered")
