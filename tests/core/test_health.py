import pytest
from django.test import override_settings

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_part_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_is_503_when_the_cache_is_down(client):
    down = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=down):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_the_broker_is_down(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


@pytest.mark.postgres
def test_healthz_names_postgres_and_redis_in_ci(client, settings):
    body = client.get("/healthz").json()
    assert body["checks"]["database"]["detail"] == "postgresql"
    if settings.REDIS_URL:
        assert body["checks"]["cache"]["detail"] == "RedisCache"
