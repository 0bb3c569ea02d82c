"""证书查询: anyone checks a certificate without logging in."""
from django.http import Http404


def verify(request):
    raise Http404
