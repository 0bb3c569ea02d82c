"""Shared fixtures. Tests marked `postgres` need PostgreSQL and are skipped on SQLite, except in CI
(REQUIRE_POSTGRES=1) where a skip would hide a missing database: there they fail instead.
Tests marked `redis` need REDIS_URL (also required in CI). Tests marked `browser` need Debian chromium; with REQUIRE_BROWSER=1 they fail instead of skipping."""
import os
import shutil

import pytest
from django.core.cache import cache, caches

from exams import catalogue

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(config, items):
    from django.conf import settings
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres:
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                item.add_marker(pytest.mark.xfail(reason="REQUIRE_POSTGRES=1 but the database is not PostgreSQL",
                                                  run=False, strict=True))
            else:
                item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if item.get_closest_marker("redis") and not settings.REDIS_URL:
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                item.add_marker(pytest.mark.xfail(reason="CI needs REDIS_URL", run=False, strict=True))
            else:
                item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL"))
        if item.get_closest_marker("browser") and not CHROMIUM:
            if os.environ.get("REQUIRE_BROWSER") == "1":
                item.add_marker(pytest.mark.xfail(reason="REQUIRE_BROWSER=1 but no chromium found",
                                                  run=False, strict=True))
            else:
                item.add_marker(pytest.mark.skip(reason="needs Debian chromium (apt-get install chromium)"))


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
