"""The floor under the rush's page target: what this machine serves before any page code runs.

    .venv/bin/python -m bench.rush.floor [--clients 64] [--seconds 10] [--workers 3] [--threads 4]
    (or `make bench-floor`)

The same production shape as `make bench-rush` (gunicorn gthread 3 x 4, PostgreSQL, Redis, the
bench settings) and the same load generator's HTTP client (bench/rush/http1.py, 64 kept-alive
connections on 127.0.0.1), on four answers of growing cost:

1. `wsgi`: a WSGI callable without Django (2 KB): gunicorn's own ceiling;
2. `django, anonymous`: a constant 2 KB view behind the whole middleware stack, no session;
3. `django, logged in`: the same view behind `login_required` with a logged-in session cookie:
   the session read from Redis, the user from PostgreSQL, as on every page of the wizard;
4. `seats page`: the platform's seats-left page (exams:availability) for the same candidate,
   one of the three pages of the rush's page target.

Each runs for --seconds after a 2-second warm-up; it prints requests per second, latency
percentiles and the CPU per request of gunicorn, PostgreSQL (the bench database's backends),
Redis and this process (the client), and the machine's busy share. Every answer must be 200 with
its marker, or the run fails (exit 1). A throwaway PostgreSQL database `examreg_bench_floor` and
Redis database 13 are used and cleaned up. Not a test: it prints figures (docs/performance.md)."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.rush import http1
from bench.rush.run import (
    PG_SERVER,
    ROOT,
    VENV_BIN,
    Processes,
    _environment,
    _free_port,
    _machine_cpu,
    _pg_execute,
    _postgres_cpu,
    _proc_cpu,
    _redis_pid,
    _tree_cpu,
    _wait_healthy,
)

DATABASE = "examreg_bench_floor"
REDIS_URL = "redis://127.0.0.1:6379/13"
WORK = ROOT / "var" / "bench-floor"


async def _load(port: int, target: str, cookie: str, marker: bytes, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    failures: list[str] = []
    headers = [f"Cookie: {cookie}"] if cookie else []

    async def client(deadline: float) -> None:
        connection = http1.Connection("127.0.0.1", port, timeout=30)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                answer = await connection.request("GET", target, headers)
                latencies.append(time.perf_counter() - started)
                if answer.status != 200 or marker not in answer.body:
                    failures.append(f"{answer.status} {answer.header('location')}")
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(started + seconds) for _ in range(clients)))
    return {"wall": time.perf_counter() - started, "latencies": sorted(latencies), "failures": failures}


def _measure(name: str, port: int, target: str, cookie: str, marker: bytes, args, gunicorn_pid: int,
             redis_pid: int | None) -> dict:
    warm_up = asyncio.run(_load(port, target, cookie, marker, args.clients, 2.0))  # not counted, but checked

    def snapshot() -> dict:
        return {"gunicorn": _tree_cpu(gunicorn_pid), "postgres": sum(_postgres_cpu(DATABASE).values()),
                "redis": _proc_cpu(redis_pid) if redis_pid else 0.0, "client": time.process_time(),
                "machine": _machine_cpu()}

    before = snapshot()
    result = asyncio.run(_load(port, target, cookie, marker, args.clients, args.seconds))
    after = snapshot()
    answers = len(result["latencies"])
    cpu = {key: (after[key] - before[key]) * 1000 / max(answers, 1) for key in ("gunicorn", "postgres", "redis", "client")}
    busy = (after["machine"][0] - before["machine"][0]) / max(after["machine"][1] - before["machine"][1], 1e-9)
    lat = result["latencies"]

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

    return {"case": name, "target": target, "answers": answers, "per_s": answers / result["wall"],
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "cpu_ms": cpu, "machine_busy": busy,
            "failures": len(warm_up["failures"]) + len(result["failures"]),
            "failure_sample": (warm_up["failures"] + result["failures"])[:3]}


def _gunicorn(app: str, port: int, env: dict, args, processes: Processes, name: str) -> int:
    process = processes.start(name, [str(VENV_BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}",
                                     "--worker-class", "gthread", "--workers", str(args.workers),
                                     "--threads", str(args.threads), "--log-level", "warning"],
                              env, WORK / f"{name}.log")
    return process.pid


def _prepare(env: dict) -> dict:
    """Migrate, then the demo exam, one candidate and a logged-in session for them (in a child)."""
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    script = """
import json, time, django
django.setup()
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from core.sessions import RENEWED_KEY
from exams import demo
from tests.accounts.factories import UserFactory
exam = demo.seed()
user = UserFactory(username="floor001", name="底线")
session = import_module(settings.SESSION_ENGINE).SessionStore()
session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                HASH_SESSION_KEY: user.get_session_auth_hash(), RENEWED_KEY: int(time.time())})
session.create()
print(json.dumps({"exam": exam.pk, "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _table(rows: list[dict]) -> str:
    head = ("| answer | req/s | p50 / p99 ms | CPU per request, ms: gunicorn + PostgreSQL + Redis = server "
            "| client | machine busy |\n|---|---|---|---|---|---|")
    lines = [head]
    for row in rows:
        cpu = row["cpu_ms"]
        server = cpu["gunicorn"] + cpu["postgres"] + cpu["redis"]
        lines.append(f"| {row['case']} | {row['per_s']:,.0f} | {row['p50_ms']:.1f} / {row['p99_ms']:.1f} | "
                     f"{cpu['gunicorn']:.2f} + {cpu['postgres']:.2f} + {cpu['redis']:.2f} = {server:.2f} | "
                     f"{cpu['client']:.2f} | {row['machine_busy']:.0%} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, **_environment(port), "DJANGO_SETTINGS_MODULE": "bench.rush.floor_app",
           "DATABASE_URL": f"{PG_SERVER}/{DATABASE}", "REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": "examreg-bench-floor",
           "STATIC_ROOT": str(WORK / "static"), "PRIVATE_MEDIA_ROOT": str(WORK / "private")}
    _pg_execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)', f'CREATE DATABASE "{DATABASE}"')
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    processes = Processes()
    rows: list[dict] = []
    try:
        prepared = _prepare(env)
        redis_pid = _redis_pid()
        hello_port = _free_port()
        hello_pid = _gunicorn("bench.rush.floor_app:hello", hello_port, env, args, processes, "gunicorn-wsgi")
        time.sleep(2)
        rows.append(_measure("wsgi (no Django)", hello_port, "/", "", b"FLOOR-MARKER", args, hello_pid, redis_pid))
        processes.stop_all()
        django_pid = _gunicorn("config.wsgi:application", port, env, args, processes, "gunicorn")
        _wait_healthy(port, processes)
        cookie = prepared["cookie"]
        for name, target, with_cookie, marker in (
                ("django, anonymous", "/floor/anonymous/", False, b"FLOOR-MARKER"),
                ("django, logged in", "/floor/authenticated/", True, b"floor001"),
                ("seats page (logged in)", f"/exams/{prepared['exam']}/availability/", True, "北京".encode())):
            rows.append(_measure(name, port, target, cookie if with_cookie else "", marker, args, django_pid,
                                 redis_pid))
    finally:
        processes.stop_all()
        _pg_execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        redis.Redis.from_url(REDIS_URL).flushdb()
    print(f"Floor: {args.clients} kept-alive clients, {args.seconds:.0f} s each, gunicorn gthread "
          f"{args.workers} x {args.threads}, on {os.cpu_count()} CPUs\n")
    print(_table(rows))
    failed = [row for row in rows if row["failures"] or not row["answers"]]
    for row in failed:
        print(f"FAILED: {row['case']}: {row['failures']} answers without 200 and marker, e.g. {row['failure_sample']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
