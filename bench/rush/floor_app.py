"""`make bench-floor` only: what the floor benchmark serves besides the platform's own pages.

- `hello`: a WSGI callable without Django, for the HTTP server's own ceiling;
- settings (DJANGO_SETTINGS_MODULE=bench.rush.floor_app): config.settings.bench with this module
  as the URL configuration, which adds two constant views in front of the platform's URLs: one
  for anyone and one behind `login_required` (the session is read from Redis and the user from
  PostgreSQL, exactly as for the wizard's pages), each answering 2 KB.
"""
from config.settings.bench import *  # noqa: F401,F403

ROOT_URLCONF = "bench.rush.floor_app"

BODY = b"<!doctype html><title>floor</title>" + b"x" * 2000 + b"<p>FLOOR-MARKER</p>"


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))])
    return [BODY]


def _urls():
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.urls import include, path

    def anonymous(request):
        return HttpResponse(BODY)

    @login_required
    def authenticated(request):
        return HttpResponse(BODY + request.user.get_username().encode())

    return [path("floor/anonymous/", anonymous), path("floor/authenticated/", authenticated),
            path("", include("config.urls"))]


def __getattr__(name):  # urlpatterns built on first use, after django.setup()
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)
