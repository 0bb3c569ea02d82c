"""The deployment files agree with the settings, and production settings refuse unsafe configuration.

No Docker engine is needed: docker-compose.yml, the Dockerfile and .env.example are read as text,
and production settings are loaded in a child process with a controlled environment."""
import re
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

from config.settings.base import DEV_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")
PRODUCTION = "config.settings.production"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _environment(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the "KEY=value" list form
        env = dict(item.split("=", 1) for item in env)
    return env


def _volume_targets(service: dict) -> dict:
    """Mount target -> source for the service's volumes (short "src:dst[:mode]" or long form)."""
    targets = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source"), volume["target"]
        targets[target] = source
    return targets


# --------------------------------------------------------------------------- docker-compose.yml


def test_compose_has_the_five_services(compose):
    assert set(compose["services"]) >= {"web", "worker", "beat", "postgres", "redis"}


def test_services_have_healthchecks(compose):
    # One test, not parametrized: a test id "postgres" would be taken for the `postgres` marker.
    for name in ("postgres", "redis", "web"):
        test = compose["services"][name].get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"


def test_backing_service_healthchecks_probe_the_right_thing(compose):
    assert "pg_isready" in compose["services"]["postgres"]["healthcheck"]["test"]
    assert compose["services"]["postgres"]["image"].startswith("postgres:15")
    assert compose["services"]["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    assert compose["services"]["redis"]["image"].startswith("redis:7")


def test_web_waits_for_healthy_postgres_and_redis(compose):
    depends_on = compose["services"]["web"]["depends_on"]
    assert isinstance(depends_on, dict), "the list form of depends_on cannot wait for health"
    for name in ("postgres", "redis"):
        assert depends_on[name]["condition"] == "service_healthy"


def test_web_migrates_then_runs_gunicorn(compose):
    command = " ".join(compose["services"]["web"]["command"])
    assert re.search(r"manage\.py migrate --noinput && exec gunicorn config\.wsgi:application", command)


def test_web_healthcheck_calls_healthz_on_an_allowed_host(compose):
    web = compose["services"]["web"]
    assert "http://127.0.0.1:8000/healthz" in " ".join(web["healthcheck"]["test"])
    assert "127.0.0.1" in _environment(web)["DJANGO_ALLOWED_HOSTS"].split(",")


def test_healthz_is_exempt_from_the_https_redirect():
    source = (ROOT / "config" / "settings" / "production.py").read_text()
    exempt = re.search(r"SECURE_REDIRECT_EXEMPT\s*=\s*\[(.*?)\]", source).group(1)
    patterns = [re.compile(p) for p in re.findall(r"r?\"(.*?)\"", exempt)]
    # SecurityMiddleware matches the path without its leading slash.
    assert any(p.search("healthz") for p in patterns)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_use_production_settings_and_env_file(compose, name):
    service = compose["services"][name]
    env = _environment(service)
    assert env["DJANGO_SETTINGS_MODULE"] == PRODUCTION
    assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    env_file = service["env_file"]
    assert ".env" in ([env_file] if isinstance(env_file, str) else env_file)


def test_app_services_run_the_right_commands(compose):
    assert compose["services"]["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert compose["services"]["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]


@pytest.mark.parametrize("name", ["web", "worker"])
def test_private_media_volume_is_mounted(compose, name):
    service = compose["services"][name]
    root = _environment(service)["PRIVATE_MEDIA_ROOT"]
    source = _volume_targets(service).get(root)
    assert source, f"nothing is mounted at PRIVATE_MEDIA_ROOT={root} in {name}"
    assert source in compose["volumes"], "private media must live in a named volume"


def test_web_and_worker_share_the_same_private_media_volume(compose):
    web, worker = (compose["services"][n] for n in ("web", "worker"))
    assert (_volume_targets(web)[_environment(web)["PRIVATE_MEDIA_ROOT"]]
            == _volume_targets(worker)[_environment(worker)["PRIVATE_MEDIA_ROOT"]])


def test_postgres_data_is_in_a_named_volume(compose):
    source = _volume_targets(compose["services"]["postgres"]).get("/var/lib/postgresql/data")
    assert source in compose["volumes"]


# --------------------------------------------------------------------------- Dockerfile, .env.example


def test_dockerfile_copies_every_package_the_project_installs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY\s+(?:--\S+\s+)*(\S+)\s+\S+\s*$", dockerfile, re.M))
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    needed = {pattern.rstrip("*") for pattern in include} | {"manage.py", "templates", "static", "locale"}
    assert needed <= copied, f"not copied into the image: {sorted(needed - copied)}"
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert re.search(r"^USER (?!root\b|0\b)\S+", dockerfile, re.M), "the image must not run as root"
    assert "compile_translations" in dockerfile and "collectstatic --noinput" in dockerfile


def test_env_example_lists_every_variable_the_settings_read():
    read = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        read |= set(re.findall(r"\benv\.\w+\(\s*[\"']([A-Z0-9_]+)[\"']", path.read_text()))
    assert read, "no env.<type>(...) call found: has the way settings read the environment changed?"
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", example, re.M))
    assert read <= listed, f"missing from .env.example: {sorted(read - listed)}"


# --------------------------------------------------------------------------- production refuses to start

PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.DEBUG)"
)


def _valid_env() -> dict:
    """The inherited environment plus valid production secrets. Variables under test are given
    explicit values: a developer's .env only fills in variables that are absent."""
    import os

    env = dict(os.environ)
    for name in ("DJANGO_SECURE_HSTS_SECONDS", "DJANGO_DEBUG"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE=PRODUCTION,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
        ID_HASH_KEY=secrets.token_urlsafe(32),
        CAPTCHA_TEST_MODE="false",
        SMS_BACKEND="accounts.sms.YunpianBackend",
        SMS_API_KEY="0123456789abcdef0123456789abcdef",
        EMAIL_URL="smtp+tls://user:password@smtp.example.org:587",
        ALIPAY_APP_ID="2021000000000001",
        ALIPAY_PRIVATE_KEY="merchant-private-key",
        ALIPAY_PUBLIC_KEY="alipay-public-key",
    )
    for name in ("PAYMENT_SANDBOX_ENABLED",):
        env.pop(name, None)
    return env


def _setup(env: dict, code: str = "import django; django.setup()") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def _absent_or_empty(env: dict, name: str, how: str) -> None:
    if how == "absent":
        if (ROOT / ".env").is_file():
            pytest.skip(".env exists and would supply the missing variable")
        env.pop(name, None)
    else:
        env[name] = ""


@pytest.mark.parametrize("how", ["absent", "empty"])
def test_production_refuses_to_start_without_a_secret_key(how):
    env = _valid_env()
    _absent_or_empty(env, "DJANGO_SECRET_KEY", how)
    result = _setup(env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("secret", ["too-short-secret", DEV_SECRET_KEY], ids=["short", "development-key"])
def test_production_refuses_a_weak_or_development_secret_key(secret):
    env = _valid_env()
    env["DJANGO_SECRET_KEY"] = secret
    result = _setup(env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("how", ["absent", "empty"])
def test_production_refuses_to_start_without_field_encryption_keys(how):
    env = _valid_env()
    _absent_or_empty(env, "FIELD_ENCRYPTION_KEYS", how)
    result = _setup(env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_a_key_that_is_not_a_fernet_key():
    env = _valid_env()
    env["FIELD_ENCRYPTION_KEYS"] = "not-a-fernet-key"
    result = _setup(env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_the_sms_outbox_and_needs_mail_configured():
    env = _valid_env()
    env["SMS_BACKEND"] = "accounts.sms.OutboxBackend"
    result = _setup(env)
    assert result.returncode != 0 and "SMS_BACKEND" in result.stderr
    env = _valid_env()
    env["EMAIL_URL"] = ""
    assert _setup(env).returncode != 0


@pytest.mark.parametrize("backend", ["accounts.sms.ConsoleBackend", "accounts.sms.OutboxBackend"])
def test_production_refuses_an_sms_backend_that_keeps_codes_on_the_server(backend):
    """The console backend writes every verification code to the application log (issue 12, item 9)."""
    env = _valid_env()
    env["SMS_BACKEND"] = backend
    result = _setup(env)
    assert result.returncode != 0 and "SMS_BACKEND must be a gateway that delivers" in result.stderr


@pytest.mark.parametrize("url", ["consolemail://", "dummymail://", "filemail:///tmp/mail", "memorymail://"])
def test_production_refuses_a_mail_backend_that_does_not_deliver(url):
    env = _valid_env()
    env["EMAIL_URL"] = url
    result = _setup(env)
    assert result.returncode != 0 and "EMAIL_URL must name a mail server that delivers" in result.stderr


def test_production_refuses_the_gateway_without_its_key():
    env = _valid_env()
    env["SMS_API_KEY"] = ""
    result = _setup(env)
    assert result.returncode != 0 and "SMS_API_KEY" in result.stderr


# --------------------------------------------------------------------------- payments in production

PRINT_PAYMENTS = ("import django; django.setup(); from payments import providers; "
                  "print('platforms=' + ','.join(providers.enabled()))")


def test_production_refuses_to_start_without_a_real_payment_platform():
    """Free registration (issue 12, item 1): no Alipay and no explicit sandbox means no start."""
    env = _valid_env()
    for name in ("ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY"):
        env[name] = ""
    result = _setup(env)
    assert result.returncode != 0 and "No payment platform" in result.stderr


def test_production_with_alipay_has_no_sandbox_unless_allowed():
    result = _setup(_valid_env(), PRINT_PAYMENTS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "platforms=alipay"


def test_production_runs_the_sandbox_only_when_explicitly_allowed():
    env = _valid_env()
    for name in ("ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY"):
        env[name] = ""
    env["PAYMENT_SANDBOX_ENABLED"] = "true"
    result = _setup(env, PRINT_PAYMENTS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "platforms=sandbox"


def test_production_refuses_half_an_alipay_configuration():
    env = _valid_env()
    env["ALIPAY_PUBLIC_KEY"] = ""
    result = _setup(env)
    assert result.returncode != 0 and "ALIPAY_PUBLIC_KEY" in result.stderr


def test_the_image_build_step_loads_production_settings():
    """The Dockerfile's collectstatic step runs production settings with throwaway values: they must pass."""
    import shlex

    dockerfile = (ROOT / "Dockerfile").read_text()
    step = re.search(r"RUN export (.*?)\s*\\\n\s*&& python manage.py compile_translations", dockerfile, re.S).group(1)
    env = _valid_env()
    for name in ("SMS_API_KEY", "ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY", "EMAIL_URL"):
        env.pop(name)
    env.update(dict(item.split("=", 1) for item in shlex.split(step.replace("\\\n", " "))))
    result = _setup(env)
    assert result.returncode == 0, result.stderr


def test_production_refuses_a_short_id_hash_key():
    env = _valid_env()
    env["ID_HASH_KEY"] = "x" * 31
    result = _setup(env)
    assert result.returncode != 0
    assert "ID_HASH_KEY" in result.stderr


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_production_refuses_captcha_test_mode(value):
    env = _valid_env()
    env["CAPTCHA_TEST_MODE"] = value
    result = _setup(env)
    assert result.returncode != 0
    assert "CAPTCHA_TEST_MODE" in result.stderr


def test_production_starts_with_valid_settings_and_is_locked_down():
    result = _setup(_valid_env(), PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    session_secure, csrf_secure, hsts_seconds, debug = result.stdout.split()[-4:]
    assert session_secure == "True"
    assert csrf_secure == "True"
    assert int(hsts_seconds) > 0
    assert debug == "False"


def test_production_reads_the_client_address_the_proxy_gives():
    """Behind the documented proxy, every visitor would otherwise share the proxy's address."""
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.TRUST_X_FORWARDED_FOR, s.ALLAUTH_TRUSTED_PROXY_COUNT)")
    result = _setup(_valid_env(), code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["True", "1"]
