"""Health of the parts the site needs: database, cache, broker."""
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        detail = check()
        state = {"ok": True}
        if detail:
            state["detail"] = detail
    except Exception as exc:  # report, never raise: this is what the endpoint is for
        state = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    state["ms"] = round((time.monotonic() - started) * 1000, 1)
    return state


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache():
    cache.set("healthz", "1", 10)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache did not return the value just written")
    return caches["default"].__class__.__name__


def _broker():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process (eager)"
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "connected"


def check_all() -> dict:
    checks = {"database": _timed(_database), "cache": _timed(_cache), "broker": _timed(_broker)}
    return {"ok": all(c["ok"] for c in checks.values()), "checks": checks}
