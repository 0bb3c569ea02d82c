"""Shared fixtures. Tests marked `postgres` need PostgreSQL, `redis` need REDIS_URL and `browser`
need Debian chromium. Outside CI they are skipped with the reason when those are missing. In CI
(REQUIRE_POSTGRES=1, REQUIRE_BROWSER=1) a missing service must never pass unseen: the run stops
at collection with a usage error that names what is missing."""
import os
import shutil

import pytest
from django.core.cache import cache, caches

from exams import catalogue


def _chromium() -> str | None:
    """The chromium to drive: CHROMIUM_PATH if it is an executable, else the one on PATH."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM = _chromium()


def missing_requirements(items, *, on_postgres: bool, redis_url: str, chromium: str | None) -> dict[str, str]:
    """What the selected tests need and this run lacks: marker -> why."""
    markers = {marker for item in items for marker in ("postgres", "redis", "browser")
               if item.get_closest_marker(marker)}
    missing = {}
    if "postgres" in markers and not on_postgres:
        missing["postgres"] = "the database is not PostgreSQL: set DATABASE_URL"
    if "redis" in markers and not redis_url:
        missing["redis"] = "REDIS_URL is not set"
    if "browser" in markers and not chromium:
        missing["browser"] = "no chromium found (apt-get install chromium, or CHROMIUM_PATH)"
    return missing


def pytest_collection_modifyitems(config, items):
    from django.conf import settings
    from django.db import connection

    missing = missing_requirements(items, on_postgres=connection.vendor == "postgresql",
                                   redis_url=settings.REDIS_URL, chromium=CHROMIUM)
    required = {"postgres": os.environ.get("REQUIRE_POSTGRES") == "1",
                "redis": os.environ.get("REQUIRE_POSTGRES") == "1",
                "browser": os.environ.get("REQUIRE_BROWSER") == "1"}
    refused = [f"{marker}: {why}" for marker, why in missing.items() if required[marker]]
    if refused:
        raise pytest.UsageError("This run must not skip tests (REQUIRE_POSTGRES / REQUIRE_BROWSER), but "
                                + "; ".join(refused))
    for item in items:
        for marker, why in missing.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=f"needs {marker}: {why}"))


@pytest.fixture(autouse=True)
def _fresh_state(settings):
    """Each test starts with an empty cache and the default language (a request may switch it)."""
    from django.utils import translation

    cache.clear()
    caches["local"].clear()
    catalogue.clear()
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the code under test and then its on-commit callbacks (deliveries, tasks)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def sms_outbox():
    """The SMS outbox backend's messages: `sms_outbox.last_code(mobile)` reads the newest code."""
    import re

    from accounts.models import SmsMessage

    class Outbox:
        def texts(self, mobile):
            return list(SmsMessage.objects.filter(mobile=mobile).order_by("-id").values_list("text", flat=True))

        def last_code(self, mobile):
            for text in self.texts(mobile):
                match = re.search(r"(?<!\d)(\d{6})(?!\d)", text)
                if match:
                    return match.group(1)
            raise AssertionError(f"no code was sent to {mobile}")

    return Outbox()
