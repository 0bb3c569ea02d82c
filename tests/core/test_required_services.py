"""CI must fail, not pass quietly, when a service its tests need is missing (REQUIRE_POSTGRES and
REQUIRE_BROWSER). Each case runs pytest's collection in a child process with the service taken away."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def collect(*paths, **env):
    base = {k: v for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "REQUIRE_POSTGRES", "REQUIRE_BROWSER", "CHROMIUM_PATH"}}
    return subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *paths],
                          cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120)


def test_required_postgres_missing_fails_the_run():
    run = collect("tests/exams/test_seats.py", REQUIRE_POSTGRES="1")
    assert run.returncode == 4, run.stdout + run.stderr  # pytest's usage error
    assert "the database is not PostgreSQL" in run.stderr


def test_required_redis_missing_fails_the_run():
    run = collect("tests/exams/test_availability.py", REQUIRE_POSTGRES="1")
    assert run.returncode == 4, run.stdout + run.stderr
    assert "REDIS_URL is not set" in run.stderr


def test_required_chromium_missing_fails_the_run():
    run = collect("tests/browser/test_accounts_flow.py", REQUIRE_BROWSER="1", CHROMIUM_PATH="/nonexistent/chromium")
    assert run.returncode == 4, run.stdout + run.stderr
    assert "no chromium found" in run.stderr


def test_without_the_requirement_missing_services_skip_with_their_reason():
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/exams/test_seats.py", "-k", "simultaneous_takes"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "REQUIRE_POSTGRES"}})
    assert run.returncode in (0, 5), run.stdout + run.stderr
    assert "needs postgres: the database is not PostgreSQL" in run.stdout
