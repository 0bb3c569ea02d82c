"""Registration rush: the production shape on this machine under a registration-opening crowd.

    .venv/bin/python -m bench.rush [--candidates N] [--clients 64] [--duration S] [--keep-db] ...
    (or `make bench-rush ARGS="--candidates 50000"`)

What it does, all on 127.0.0.1:

1. A throwaway PostgreSQL database (`examreg_bench_rush`, dropped at the end unless --keep-db) and
   Redis database 12 (flushed at the start and at the end) for cache, sessions and the broker.
   Throwaway secret, Fernet, ID-hash and sandbox keys are generated for the run.
2. In this process (django.setup() with config.settings.bench): migrate, collectstatic (WhiteNoise's
   manifest storage, as in production), and the seeding (bench/rush/seed.py): N candidates for the
   flow (--candidates), plus --pages-candidates and --takes-candidates for the pages and takes
   phases, all with accounts, an education record and an approved photo; the exam with two
   sittings, 9 areas and its quotas.
3. gunicorn (gthread, the image's 3 workers x 4 threads, sized for 2 cores) on a free port and one
   Celery worker (concurrency 2, as docker-compose), both with DJANGO_SETTINGS_MODULE=config.settings.bench.
4. Login phase (not counted): the load generator (bench/rush/load.py, its own process) logs the
   flow's candidates in, in the plan's order, for at most --login-timeout seconds. From its request
   rate this process estimates how many candidates the window will take and gives each hot quota
   (北京, 上海) a tenth of their first-choice demand, so that the hot areas really sell out
   (seed.size_hot_areas). Then the registration window is moved to open 3 seconds later.
5. Flow phase (the journey): --clients concurrent clients take the candidates through the whole
   flow, about 22 requests each, until --duration has passed (flows under way get --grace to
   finish). It measures the journey end to end and its correctness, but a seat is taken only once
   per candidate, so it cannot measure the issue's throughput targets: the next two phases do.
   Then the worker is given up to --drain seconds to deliver the platform's notifications.
6. Preparation (bench/rush/prepare.py, in this process, not counted): the pages and takes
   candidates get logged-in sessions straight from the session engine (Redis) and, with
   bulk_create, the enrollments the wizard's services would have left: at the area step for the
   pages phase, confirmed for a hot area for the takes phase. The hot quotas keep what the flow
   sold and get new seats for about half the takes' demand (--takes-seats fixes the number).
7. Pages phase (the pages target): --pages-clients clients GET, for --pages-duration seconds, the
   seats-left page, the subjects step and the area step of one prepared candidate after another,
   each answer checked for its page's marker. req/s = answers / the phase's duration.
8. Takes phase (the takes target): each takes candidate's payment page is fetched first (not
   counted; it sets the csrftoken cookie). Then, from one instant, --takes-clients clients POST one
   order per candidate until all had their attempt (at most --takes-timeout s). A take redirects
   to the sandbox gateway, a refusal (seats gone) back to the payment page. The hot-area take
   rate = successful takes / (first request's start to the end of the last successful take).
   Orders stay unpaid. The pages and takes phases use the lean HTTP/1.1 client (bench/rush/http1.py).
9. The database is audited (bench/rush/audit.py): seats against capacity for every quota,
   check_invariants(), every payment the platform took recorded, no candidate with two active
   enrollments or two sold seats in one sitting; for the takes phase, successful takes = unpaid
   orders of its enrollments = their held seats in the hot quotas, none oversold.
10. A table per phase on stdout (CPU per request of each process, per phase, from /proc), the
   targets judged on the pages and takes phases (the journey's figures shown beside them), the
   figures in bench/results/rush-<timestamp>.json; logs of gunicorn, the worker and the load
   generator in var/bench-rush/.

The exit status is 1 on an oversell, a lost payment, an invariant violation, a candidate with two
seats, any 5xx answer in any phase, a takes-phase audit mismatch, or a broken phase (the load
generator failed, the flow completed no enrollment, a page without its marker or not 200 in the
pages phase, a payment page not ready or no successful take in the takes phase); otherwise 0
(missed throughput targets are shown as FAIL but do not change the exit status)."""
from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import datetime
import json
import math
import os
import platform
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "bench-rush"
RESULTS = ROOT / "bench" / "results"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "examreg_bench_rush"
REDIS_URL = "redis://127.0.0.1:6379/12"
SETTINGS = "config.settings.bench"

# Targets from the issue.
TARGET_HOT_TAKES_PER_S = 400
TARGET_ORDER_P99_MS = 250
TARGET_PAGES_PER_S = 800
TARGET_PAGES_P99_MS = 150

OPEN_DELAY_S = 3.0
PHASE_START_DELAY_S = 0.5  # from the load generator's "ready" to the common start of the pages and takes phases
REQUESTS_PER_CANDIDATE = 22  # the flow's requests per candidate without fallbacks (bench/rush/load.py)
ROW_ORDER = ("login_page", "login", "exam_list_before", "exam_list", "notice", "notice_post", "progress", "info",
             "info_post", "subjects", "subjects_post", "area", "area_post", "confirm", "confirm_post",
             "payment_page", "order_post", "gateway", "sandbox_pay", "return")
SANDBOX_LABELS = ("gateway", "sandbox_pay")
LOGIN_LABELS = ("login_page", "login", "exam_list_before")
PAGE_LABELS = ("availability", "subjects", "area")  # the pages phase (bench/rush/load.py: pages_phase)
SERVER = ("gunicorn", "postgres (bench database)", "redis")  # the server's CPU, per request


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 100)) - 1))]


# --------------------------------------------------------------------------- environment


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(port: int) -> dict:
    from cryptography.fernet import Fernet

    return {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DATABASE_URL": f"{PG_SERVER}/{PG_DATABASE}",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": "examreg-bench-rush",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ID_HASH_KEY": secrets.token_urlsafe(40),
        "PAYMENT_SANDBOX_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "STATIC_ROOT": str(WORK / "static"),
        "PRIVATE_MEDIA_ROOT": str(WORK / "private"),
        "SMS_BACKEND": "accounts.sms.OutboxBackend",
        "EMAIL_URL": "consolemail://",
        "PYTHONUNBUFFERED": "1",
        "BENCH_RUSH_PORT": str(port),
    }


def _pg_execute(*statements: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as connection:
        for statement in statements:
            connection.execute(statement)
        return connection.execute("SHOW server_version").fetchone()[0]


def _redis_flush() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    client.flushdb()
    return client.info("server")["redis_version"]


def _celery_backlog() -> int:
    """Messages waiting in the broker plus those delivered but not acknowledged."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    return int(client.llen("celery")) + int(client.hlen("unacked"))


# --------------------------------------------------------------------------- processes


class Processes:
    """Children in their own process groups (Ctrl-C reaches only this process, which stops them);
    stopped with SIGTERM, then SIGKILL, whatever happens."""

    def __init__(self):
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.logs = []

    def start(self, name, command, env, log_path, **kwargs):
        log = open(log_path, "ab")  # noqa: SIM115 - closed in stop_all
        self.logs.append(log)
        kwargs.setdefault("stdout", log)
        kwargs.setdefault("stderr", log)
        process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **kwargs)
        self.children.append((name, process))
        return process

    def stop_all(self) -> None:
        for _name, process in reversed(self.children):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, process in reversed(self.children):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.children.clear()
        for log in self.logs:
            log.close()
        self.logs.clear()


def _wait_healthy(port: int, processes: Processes, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        for name, process in processes.children:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode} (see {WORK})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last = str(exc)
        time.sleep(0.3)
    raise RuntimeError(f"the server did not become healthy in {timeout:.0f} s: {last}")


def _gunicorn_workers(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds of a process (user + system), plus those of its reaped children if asked."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + ((cutime + cstime) if children else 0)) / TICK


def _tree_cpu(pid: int) -> float:
    """A process, its reaped children and its living children (gunicorn's recycled workers included)."""
    return _proc_cpu(pid, children=True) + sum(_proc_cpu(child) for child in _gunicorn_workers(pid))


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICK, sum(values[:8]) / TICK


def _postgres_cpu(database: str = PG_DATABASE) -> dict[int, float]:
    """CPU seconds of every PostgreSQL backend connected to the bench database, by pid."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as connection:
        pids = [row[0] for row in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])]
    return {pid: _proc_cpu(pid) for pid in pids}


class CpuMeter:
    """Who used the CPU during each phase: the server, the worker, PostgreSQL (bench database
    only), Redis, the load generator, and the whole machine (other work included).

    PostgreSQL backends come and go (CONN_MAX_AGE, recycled gunicorn workers), so a thread polls
    the bench database's backends twice a second, from the first snapshot until stop(), and keeps
    the last figure seen for each."""

    def __init__(self, pids: dict[str, int], redis_pid: int | None):
        self.pids, self.redis_pid = pids, redis_pid
        self.backends: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = None

    def _poll(self) -> None:
        while not self._stop.wait(0.5):
            with contextlib.suppress(Exception):
                self.backends.update({pid: cpu for pid, cpu in _postgres_cpu().items() if cpu})

    def snapshot(self) -> dict:
        busy, total = _machine_cpu()
        with contextlib.suppress(Exception):
            self.backends.update({pid: cpu for pid, cpu in _postgres_cpu().items() if cpu})
        if self._thread is None:
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()
        return {"machine_busy": busy, "machine_total": total, "wall": time.perf_counter(),
                "gunicorn": _tree_cpu(self.pids["gunicorn"]), "worker": _tree_cpu(self.pids["worker"]),
                "load generator": _proc_cpu(self.pids["load generator"]),
                "redis": _proc_cpu(self.redis_pid) if self.redis_pid else 0.0, "postgres": dict(self.backends)}

    def stop(self) -> None:
        self._stop.set()

    @staticmethod
    def delta(before: dict, after: dict) -> dict:
        wall = after["wall"] - before["wall"]
        postgres = sum(cpu - before["postgres"].get(pid, 0.0) for pid, cpu in after["postgres"].items())
        used = {name: after[name] - before[name] for name in ("gunicorn", "worker", "load generator", "redis")}
        used["postgres (bench database)"] = postgres
        machine = after["machine_busy"] - before["machine_busy"]
        return {"wall_s": wall, "cpu_s": used, "machine_busy_s": machine,
                "machine_capacity_s": after["machine_total"] - before["machine_total"],
                "other_work_s": max(0.0, machine - sum(used.values()))}


def _redis_pid() -> int | None:
    import redis

    try:
        return int(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).info("server")["process_id"])
    except Exception:  # noqa: BLE001 - only for the CPU account
        return None


class LineReader:
    """The load generator's stdout, one JSON line at a time, with a timeout."""

    def __init__(self, stream):
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in iter(stream.readline, b""):
            self.lines.put(line)
        self.lines.put(None)

    def next_event(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"no word from the load generator in {timeout:.0f} s")
            if line is None:
                raise RuntimeError("the load generator exited early (see its log in var/bench-rush/)")
            try:
                return json.loads(line)
            except ValueError:
                continue


# --------------------------------------------------------------------------- figures


def _figures(load: dict, plan: dict) -> dict:
    """Throughput and latency of the rush from the load generator's events and outcomes."""
    events = load["events"]
    duration = load["duration_s"]
    rush_end = max((end for _s, end, _l, _st in events), default=0.0)
    window = min(duration, rush_end) or 1.0  # all clients busy until the last candidate started
    labels = {}
    for label, row in load["labels"].items():
        in_window = sum(1 for start, _e, lab, _st in events if lab == label and start < window)
        labels[label] = {**row, "per_s": None if label in LOGIN_LABELS else in_window / window}
    flow = [(start, end, lab, status) for start, end, lab, status in events]
    pages = [(end - start) * 1000 for start, end, lab, _st in flow if lab not in SANDBOX_LABELS]
    pages_in_window = sum(1 for start, _e, lab, _st in flow if lab not in SANDBOX_LABELS and start < window)
    all_in_window = sum(1 for start, _e, _l, _st in flow if start < window)
    five_xx = sum(count for row in load["labels"].values() for status, count in row["status"].items()
                  if status.startswith("5"))

    outcomes = load["outcomes"]
    hot = set(plan["hot_area_ids"])
    takes = sorted(o["take_at"] for o in outcomes if o["take_at"] is not None)
    hot_takes = sorted(o["take_at"] for o in outcomes if o["take_at"] is not None and o["area"] in hot)
    done = sorted(o["done_at"] for o in outcomes if o["done_at"] is not None)
    per_second = {}
    for t in takes:
        per_second[int(t)] = per_second.get(int(t), 0) + 1
    hot_span = (hot_takes[-1] - hot_takes[0]) if len(hot_takes) > 1 else None
    order_latencies = [(end - start) * 1000 for start, end, lab, _st in flow if lab == "order_post"]
    hot_order_ms = [ms for o in outcomes for area, ms, _ok in o.get("orders", []) if area in hot]
    cold_order_ms = [ms for o in outcomes for area, ms, _ok in o.get("orders", []) if area not in hot]
    hot_orders = [(end - start) * 1000 for start, end, lab, _st in flow
                  if lab == "order_post" and hot_takes and start <= hot_takes[-1]]
    return {
        "window_s": window, "rush_end_s": rush_end,
        "labels": labels,
        "requests": len(flow), "requests_per_s": all_in_window / window,
        "pages": len(pages), "pages_per_s": pages_in_window / window,
        "pages_p50_ms": _percentile(pages, 50), "pages_p95_ms": _percentile(pages, 95),
        "pages_p99_ms": _percentile(pages, 99),
        "five_xx": five_xx,
        "flows_started": load["flows_started"], "completed": len(done),
        "completed_per_s": len(done) / done[-1] if done else 0.0,
        "first_completion_s": done[0] if done else None,
        "seat_takes": len(takes), "seat_takes_per_s": len(takes) / takes[-1] if takes else 0.0,
        "seat_takes_peak_1s": max(per_second.values(), default=0),
        "first_take_s": takes[0] if takes else None,
        "hot_takes": len(hot_takes), "hot_first_take_s": hot_takes[0] if hot_takes else None,
        "hot_last_take_s": hot_takes[-1] if hot_takes else None,
        "hot_takes_per_s": (len(hot_takes) / hot_span) if hot_span else None,
        "order_p50_ms": _percentile(order_latencies, 50), "order_p99_ms": _percentile(order_latencies, 99),
        "hot_phase_order_p99_ms": _percentile(hot_orders, 99),
        "hot_area_orders": len(hot_order_ms), "hot_area_order_p50_ms": _percentile(hot_order_ms, 50),
        "hot_area_order_p99_ms": _percentile(hot_order_ms, 99),
        "other_area_order_p50_ms": _percentile(cold_order_ms, 50),
        "other_area_order_p99_ms": _percentile(cold_order_ms, 99),
        "fallbacks": sum(o["fallbacks"] for o in outcomes),
        "candidates_fell_back": sum(1 for o in outcomes if o["fallbacks"] or o["lost_orders"]),
        "lost_orders": sum(o["lost_orders"] for o in outcomes),
        "errors": sum(load["flow_errors"].values()),
        "unexpected": sum(load["unexpected"].values()),
        "transport_errors": sum(load["transport_errors"].values()),
    }


def _latency(values: list[float]) -> dict:
    return {"count": len(values), "p50_ms": _percentile(values, 50), "p95_ms": _percentile(values, 95),
            "p99_ms": _percentile(values, 99), "max_ms": max(values, default=None)}


def _five_xx(statuses: dict) -> int:
    return sum(count for status, count in statuses.items() if status.startswith("5"))


def _cpu_per_request(cpu: dict, requests: int) -> dict:
    """CPU milliseconds per request of a phase: of each process, and of the server in all."""
    per = {name: seconds * 1000 / max(1, requests) for name, seconds in cpu["cpu_s"].items()}
    return {"requests": requests, "server_ms": sum(per[name] for name in SERVER), "by_process_ms": per}


def _pages_figures(load: dict) -> dict:
    """The pages phase: per page and overall, req/s = answers / the phase's duration (from its
    start to the end of its last answer)."""
    duration = load["duration_s"]
    pages = {}
    for label in PAGE_LABELS:
        values = [(end - start) * 1000 for start, end, lab, _st in load["events"] if lab == label]
        pages[label] = {**_latency(values), "status": load["labels"].get(label, {}).get("status", {}),
                        "per_s": len(values) / duration, "marker_missing": load["marker_missing"].get(label, 0),
                        "no_answer": sum(n for key, n in load["transport_errors"].items() if key.split(" ")[0] == label)}
    statuses = dict(sum((collections.Counter(row["status"]) for row in pages.values()), collections.Counter()))
    overall = {**_latency([(end - start) * 1000 for start, end, _l, _st in load["events"]]), "status": statuses,
               "marker_missing": sum(row["marker_missing"] for row in pages.values()),
               "no_answer": sum(row["no_answer"] for row in pages.values())}
    overall["per_s"] = overall["count"] / duration
    return {"clients": load["clients"], "candidates": load["candidates"], "planned_s": load["planned_s"],
            "duration_s": duration, "pages": pages, "overall": overall, "five_xx": _five_xx(statuses),
            "not_200": sum(count for status, count in statuses.items() if status != "200"),
            "transport_errors": sum(load["transport_errors"].values()), "reconnects": load["retries"]}


def _takes_figures(load: dict, prepared: dict, areas: dict) -> dict:
    """The takes phase, from the load generator's attempts [username, area id, sittings, start s,
    end s, status, outcome] (times from the burst's start instant)."""
    attempts = load["attempts"]

    def ms(rows):
        return [(row[4] - row[3]) * 1000 for row in rows]

    takes = [row for row in attempts if row[6] == "take"]
    refused = [row for row in attempts if row[6] == "refused"]
    first = min((row[3] for row in attempts), default=0.0)
    last = max((row[4] for row in attempts), default=0.0)
    last_take = max((row[4] for row in takes), default=None)
    take_span = (last_take - first) if last_take is not None else None
    statuses = dict(collections.Counter(str(row[5]) for row in attempts))
    other = dict(collections.Counter(row[6] for row in attempts if row[6] not in ("take", "refused")))
    by_area = dict(collections.Counter(areas[str(row[1])] for row in takes))
    warmup = load["warmup"]
    return {
        "clients": load["clients"], "candidates": load["candidates"], "quotas": prepared.get("takes_quotas", {}),
        "warmup_s": warmup["seconds"], "warmup_ready": warmup["ready"], "warmup_not_ready": warmup["not_ready"],
        "warmup_not_started": warmup["not_started"], "warmup_page": warmup["labels"].get("payment_page"),
        "warmup_five_xx": sum(_five_xx(row["status"]) for row in warmup["labels"].values()),
        "attempts": len(attempts), "not_attempted": load["not_attempted"], "takes": len(takes),
        "refused": len(refused), "other": other, "status": statuses, "takes_by_area": by_area,
        "seats_taken": sum(row[2] for row in takes),
        "burst_s": last - first, "attempts_per_s": len(attempts) / (last - first) if last > first else None,
        "first_start_s": first, "last_take_end_s": last_take,
        "first_refusal_s": min((row[4] for row in refused), default=None),
        "take_rate_per_s": len(takes) / take_span if take_span else None,
        "order_all": _latency(ms(attempts)), "order_takes": _latency(ms(takes)), "order_refused": _latency(ms(refused)),
        "five_xx": _five_xx(statuses), "transport_errors": sum(load["transport_errors"].values()),
        "reconnects": load["retries"] + warmup["retries"],
    }


def _fmt(value, digits=0):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(headers, rows) -> str:
    """A Markdown table, padded for a terminal."""
    widths = [max(_width(str(h)), *(_width(str(r[i])) for r in rows)) for i, h in enumerate(headers)]

    def line(cells):
        return "| " + " | ".join(str(c) + " " * (w - _width(str(c))) for c, w in zip(cells, widths)) + " |"

    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def _cpu_rows(cpu: dict, requests: int, what: str) -> list[list[str]]:
    """Summary rows: CPU seconds of each process in the phase, and milliseconds per `what`."""
    per = _cpu_per_request(cpu, requests)["by_process_ms"]
    return [
        ["CPU during the phase (s)", ", ".join(f"{k} {v:.1f}" for k, v in cpu["cpu_s"].items())
         + f"; other work on the machine {cpu['other_work_s']:.1f}; machine busy "
           f"{cpu['machine_busy_s'] / max(cpu['machine_capacity_s'], 1e-9):.0%} of {cpu['machine_capacity_s']:.0f} CPU-s"],
        [f"server CPU per {what} (gunicorn + PostgreSQL + Redis)",
         (f"{sum(per[name] for name in SERVER):.1f} ms (gunicorn {per['gunicorn']:.1f} ms, PostgreSQL "
         f"{per['postgres (bench database)']:.1f} ms, Redis {per['redis']:.2f} ms)")],
        [f"load generator / worker CPU per {what}", f"{per['load generator']:.2f} ms / {per['worker']:.2f} ms"],
    ]


def _latency_cells(row: dict) -> list[str]:
    return [_fmt(row["p50_ms"], 1), _fmt(row["p95_ms"], 1), _fmt(row["p99_ms"], 1), _fmt(row["max_ms"], 0)]


def _statuses(statuses: dict) -> str:
    return " ".join(f"{k}:{v}" for k, v in sorted(statuses.items()))


def _pages_report(phase: dict) -> list[str]:
    figures = phase["figures"]
    out = [(f"Pages phase (the pages target): {figures['clients']} clients (lean HTTP/1.1 client), "
           f"{figures['candidates']:,} prepared candidates at the area step, {figures['planned_s']:.0f} s "
           f"({figures['duration_s']:.1f} s to the last answer); req/s = answers / {figures['duration_s']:.1f} s")]
    rows = [[label, _fmt(row["count"]), _statuses(row["status"]), *_latency_cells(row), _fmt(row["per_s"], 1),
             _fmt(row["marker_missing"]), _fmt(row["no_answer"])]
            for label, row in [*figures["pages"].items(), ("overall", figures["overall"])]]
    out.extend([_table(["page", "count", "status", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s", "no marker",
                        "no answer"], rows), ""])
    summary = [["errors", (f"{figures['not_200']} answers not 200, {figures['overall']['marker_missing']} without "
                          f"their marker, {figures['transport_errors']} transport errors, {figures['reconnects']} "
                          "reconnections")],
               *_cpu_rows(phase["cpu"], figures["overall"]["count"], "page")]
    out.extend([_table(["", "measured"], summary), ""])
    return out


def _takes_report(phase: dict) -> list[str]:
    f = phase["figures"]
    out = [(f"Takes phase (the takes target): {f['candidates']:,} prepared candidates confirmed for 北京 or 上海, "
           f"{f['clients']} clients (lean HTTP/1.1 client), one order POST each from one instant")]
    rows = [
        ["warm-up: payment pages (not counted)",
         f"{f['warmup_ready']:,} ready in {f['warmup_s']:.1f} s"
         + (f", p50 {_fmt(f['warmup_page']['p50_ms'], 1)} ms" if f["warmup_page"] else "")
         + (f"; not ready: {f['warmup_not_ready']}" if f["warmup_not_ready"] else "")
         + (f"; {f['warmup_not_started']} not fetched in time" if f["warmup_not_started"] else "")],
        ["hot quotas for the burst", ", ".join(
            f"{name} {q['capacity']} seats ({q['capacity'] - q['held_before'] - q['sold_before']} new) for a demand "
            f"of {q['first_choice_demand']}" for name, q in f["quotas"].items())],
        ["attempts (order POSTs)", f"{f['attempts']:,} in {f['burst_s']:.1f} s: {_fmt(f['attempts_per_s'], 1)}/s; "
                                   f"statuses {_statuses(f['status'])}"
                                   + (f"; {f['not_attempted']} not attempted in time" if f["not_attempted"] else "")],
        ["successful takes / refused (seats gone) / other",
         f"{f['takes']:,} ({', '.join(f'{k} {v}' for k, v in f['takes_by_area'].items())}; {f['seats_taken']:,} seats) / "
         f"{f['refused']:,} (first after {_fmt(f['first_refusal_s'], 2)} s) / {sum(f['other'].values())}"
         + (f" {f['other']}" if f["other"] else "")],
        ["hot-area take rate", (f"{f['takes']:,} takes from the first request's start to the end of the last take "
                               f"({_fmt(f['last_take_end_s'], 2)} s): {_fmt(f['take_rate_per_s'], 1)}/s")],
    ]
    for name, key in (("order POST latency, all attempts", "order_all"), ("  successful takes", "order_takes"),
                      ("  refused", "order_refused")):
        row = f[key]
        rows.append([name, (f"p50 {_fmt(row['p50_ms'], 1)} ms, p95 {_fmt(row['p95_ms'], 1)} ms, "
                           f"p99 {_fmt(row['p99_ms'], 1)} ms, max {_fmt(row['max_ms'], 0)} ms")])
    rows.append(["errors", f"{f['transport_errors']} transport errors, {f['reconnects']} reconnections"])
    rows.extend(_cpu_rows(phase["cpu"], f["attempts"], "attempt"))
    out.extend([_table(["", "measured"], rows), ""])
    return out


def _report(result: dict) -> str:
    figures, load, audit = result["figures"], result["load"], result["audit"]
    out = []
    cfg = result["config"]
    out.append(f"Registration rush: {cfg['candidates']:,} candidates, {cfg['clients']} clients, "
               f"{cfg['duration_s']:.0f} s window (+{cfg['grace_s']:.0f} s grace); gunicorn {cfg['gunicorn']}; "
               f"Celery worker concurrency {cfg['worker_concurrency']}")
    out.append("Then: " + ("; ".join(
        ([(f"pages phase, {cfg['pages_clients']} clients for {cfg['pages_duration_s']:.0f} s over "
          f"{cfg['pages_candidates']:,} more candidates")] if cfg["pages_candidates"] else [])
        + ([f"takes phase, {cfg['takes_candidates']:,} more candidates, {cfg['takes_clients']} clients"]
           if cfg["takes_candidates"] else [])) or "no pages or takes phase")
        + (f" (prepared in {result['prepare']['seconds']:.1f} s: sessions in Redis, enrollments with bulk_create)"
           if result.get("prepare") else ""))
    out.append(f"Passwords use the bench's MD5 hasher ({result['seed']['password_hasher']}), not PBKDF2: "
               "logins happen before the window and are not part of the rush figures.")
    out.append("Machine load average (1/5/15 min) at the start: " + "/".join(f"{x:.1f}" for x in cfg["load_average_start"])
               + ", at the end: " + "/".join(f"{x:.1f}" for x in cfg["load_average_end"]) + f" on {os.cpu_count()} CPUs")
    hot = result["seed"]["hot_quotas"]
    out.append(f"Hot quotas sized for ~{result['seed']['expected_arrivals']:,} candidates in the window: " + ", ".join(
        f"{k} {v['capacity']} seats for a first-choice demand of {v['first_choice_demand']}" for k, v in hot.items()))
    out.append("")
    out.append(f"Logins before the window: {load['logged_in']:,} of {load['candidates']:,} in {load['login_s']:.1f} s "
               f"({load['logged_in'] / max(load['login_s'], 1e-9):.0f}/s)")
    out.append("Flow phase (the journey: about 22 requests per candidate, from the exam list to the paid order)")
    rows = []
    for label in ROW_ORDER:
        row = figures["labels"].get(label)
        if not row:
            continue
        statuses = " ".join(f"{k}:{v}" for k, v in row["status"].items())
        rows.append([label, _fmt(row["count"]), statuses, _fmt(row["p50_ms"], 1), _fmt(row["p95_ms"], 1),
                     _fmt(row["p99_ms"], 1), _fmt(row["max_ms"], 0), _fmt(row["per_s"], 1)])
    out.append(_table(["request", "count", "status", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s"], rows))
    out.append("")
    summary = [
        ["rush window (all clients busy)", f"{figures['window_s']:.1f} s; last request ended at {figures['rush_end_s']:.1f} s"],
        ["flow requests", f"{figures['requests']:,} ({figures['requests_per_s']:.0f}/s in the window)"],
        ["platform pages (all but the sandbox checkout)",
         (f"{figures['pages']:,}: {figures['pages_per_s']:.0f}/s, p50 {_fmt(figures['pages_p50_ms'], 1)} ms, "
         f"p95 {_fmt(figures['pages_p95_ms'], 1)} ms, p99 {_fmt(figures['pages_p99_ms'], 1)} ms")],
        ["candidates started / completed (paid)",
         f"{figures['flows_started']:,} / {figures['completed']:,} (of {load['logged_in']:,} logged in"
         + (f"; {load['flows_cut_off']} stopped at the end of the grace)" if load["flows_cut_off"] else ")")],
        ["completed enrollments/s", f"{figures['completed_per_s']:.1f} (first after {_fmt(figures['first_completion_s'], 1)} s)"],
        ["seat takes (orders created)", (f"{figures['seat_takes']:,}: {figures['seat_takes_per_s']:.1f}/s, "
                                        f"peak {figures['seat_takes_peak_1s']} in one second")],
        ["hot-area seat takes (北京, 上海)",
         (f"{figures['hot_takes']:,} between {_fmt(figures['hot_first_take_s'], 1)} s and "
         f"{_fmt(figures['hot_last_take_s'], 1)} s: {_fmt(figures['hot_takes_per_s'], 1)}/s")],
        ["order (seat take) latency", (f"p50 {_fmt(figures['order_p50_ms'], 1)} ms, p99 {_fmt(figures['order_p99_ms'], 1)} ms "
                                      f"(p99 {_fmt(figures['hot_phase_order_p99_ms'], 1)} ms while hot seats lasted); "
                                      f"orders for a hot area: {figures['hot_area_orders']}, p50 "
                                      f"{_fmt(figures['hot_area_order_p50_ms'], 1)} ms, p99 "
                                      f"{_fmt(figures['hot_area_order_p99_ms'], 1)} ms; other areas p50 "
                                      f"{_fmt(figures['other_area_order_p50_ms'], 1)} ms, p99 "
                                      f"{_fmt(figures['other_area_order_p99_ms'], 1)} ms")],
        ["fallbacks to another area", (f"{figures['fallbacks']:,} refusals (409), {figures['lost_orders']:,} orders "
                                      f"refused at the seat take; {figures['candidates_fell_back']:,} candidates moved")],
        ["5xx", f"{figures['five_xx']}"],
        ["errors", (f"{figures['errors']} flows stopped, {figures['unexpected']} unexpected statuses, "
                   f"{figures['transport_errors']} transport errors, {load['retries']} retried connections")],
    ]
    summary.extend(_cpu_rows(result["cpu"], figures["requests"], "flow request"))
    out.append(_table(["", "measured"], summary))
    if load["flow_errors"]:
        out.append("flow errors: " + "; ".join(f"{k} x{v}" for k, v in load["flow_errors"].items()))
    out.append("")
    phases = result.get("phases", {})
    if "pages" in phases:
        out.extend(_pages_report(phases["pages"]))
    if "takes" in phases:
        out.extend(_takes_report(phases["takes"]))
    quota_rows = [[q["quota"], _fmt(q["capacity"]), _fmt(q["sold"]), _fmt(q["held"]),
                   "OVERSOLD" if q["oversold"] else ("full" if q["sold"] + q["held"] >= q["capacity"] else "")]
                  for q in audit["quotas"]]
    out.append(_table(["quota", "capacity", "sold", "held", ""], quota_rows))
    out.append("")
    audit_rows = [
        ["paid orders / enrolled / sold seats / subjects of paid orders",
         f"{audit['paid_orders']:,} / {audit['enrolled']:,} / {audit['sold_seats']:,} / {audit['paid_order_lines']:,}"],
        ["payments recorded / taken by the platform", (f"{audit['payments']:,} / {audit['platform_paid']:,} "
                                                      f"({', '.join(f'{k} {v}' for k, v in audit['payments_by_source'].items())})")],
        ["lost payments", f"{len(audit['lost_payments'])}"],
        ["notifications not delivered after the drain", f"{audit['notifications_not_delivered']}"],
        ["oversold quotas", f"{len(audit['oversold_quotas'])}"],
        ["candidates with two active enrollments / two seats in a sitting",
         f"{len(audit['candidates_two_active_enrollments'])} / {len(audit['candidates_two_seats_in_a_sitting'])}"],
        ["check_invariants()", "[]" if not audit["invariant_violations"] else f"{len(audit['invariant_violations'])} problems"],
    ]
    takes = audit.get("takes")
    if takes:
        audit_rows.append(["takes phase: takes seen / unpaid orders / awaiting payment / other orders",
                           (f"{takes['takes_seen']:,} / {takes['pending_orders']:,} / {takes['awaiting_payment']:,} / "
                           f"{takes['other_orders']}")])
        audit_rows.append(["takes phase: seats of the takes / order lines / held seat rows / hot quotas' held increase",
                           f"{takes['seats_of_takes_seen']:,} / {takes['pending_order_lines']:,} / "
                           f"{takes['held_seat_rows']:,} / {takes['hot_quota_held_increase']:,}"
                           + (f" ({takes['seat_rows_outside_hot_quotas']} outside the hot quotas)"
                              if takes["seat_rows_outside_hot_quotas"] else "")])
        audit_rows.append(["takes phase: hot quotas, capacity / sold / held", ", ".join(
            f"{name} {q['capacity']} / {q['sold']} / {q['held']}"
            + (" OVERSOLD" if q["oversold"] else " full" if q["sold"] + q["held"] >= q["capacity"] else "")
            for name, q in takes["hot_quotas"].items())])
    out.append(_table(["audit", ""], audit_rows))
    out.append("")
    probe = result.get("probe")
    if probe and "requests" in probe:
        rows = [[r["request"], r["status"], r["queries"], r["writes"], _fmt(r["wall_ms"], 1), _fmt(r["cpu_ms"], 1)]
                for r in probe["requests"]]
        out.append("Probe: a spare candidate through the flow after the rush, alone, in this process (Django test "
                   "client, same settings, database and Redis)")
        out.append(_table(["request", "status", "SQL", "writes", "wall ms", "CPU ms"], rows))
        total_queries = sum(r["queries"] for r in probe["requests"])
        if probe.get("quota_row_lock_ms"):
            out.append("Quota rows stay locked from the conditional UPDATE to the end of the commit: "
                       + ", ".join(f"{label} {ms:.1f} ms" for label, ms in probe["quota_row_lock_ms"])
                       + " (alone, no contention; one entry per quota row)")
        out.append(f"{total_queries} SQL statements for {len(probe['requests'])} requests. Another spare candidate "
                   "under cProfile: time in " + ", ".join(
            f"{name} {place['share']:.0%}" for name, place in sorted(probe["places"].items(),
                                                                    key=lambda item: -item[1]["ms"])))
        out.append("")
    elif probe:
        out.append(f"Probe failed: {probe['error']}")
        out.append("")
    spy = result.get("py_spy")
    if spy and spy["samples"]:
        kind = "GIL-holding (CPU)" if result["config"]["profile_mode"] == "cpu" else "non-idle (wall)"
        out.append(f"py-spy, every gunicorn worker during the first {result['config']['profile_s']:.0f} s of the rush "
                   f"({spy['samples']:,} {kind} samples)")
        out.append(_table(["on the stack (inclusive)", "share"],
                          [[name, f"{share:.0%}"] for name, share in spy["groups"].items()]))
        out.append(_table(["innermost frame in (exclusive)", "share"],
                          [[name, f"{share:.0%}"] for name, share in spy["leaves"].items()]))
        out.append("")
    target_rows = [[t["target"], t["measured"], "-" if t["met"] is None else "PASS" if t["met"] else "FAIL"]
                   for t in result["targets"]]
    out.append(_table(["target", "measured", ""], target_rows))
    if result["failures"]:
        out.append("")
        out.append("RUN FAILED: " + "; ".join(result["failures"]))
    return "\n".join(out)


# Where a sampled stack spends its time, by frames anywhere on the stack (inclusive; the groups overlap).
SPY_GROUPS = (
    ("template rendering", ("render (django/template/base.py",)),
    ("  of which crispy-forms tags", ("crispy_forms/",)),
    ("SQL: execute and wait for PostgreSQL", ("_execute (django/db/backends/utils.py",)),
    ("sessions (core.sessions: load, save, renewal)", ("core/sessions.py",)),
    ("Redis cache calls", ("django/core/cache/backends/redis.py",)),
    ("messages (cookie signing)", ("django/contrib/messages/",)),
    ("form validation", ("full_clean (django/forms/forms.py",)),
    ("audit log", ("audit_log (core/audit.py",)),
    ("Celery publish", ("apply_async (celery/app/task.py",)),
    ("password hashing", ("django/contrib/auth/hashers.py",)),
)
# Where the innermost frame is (exclusive; adds up to 100 %).
SPY_LEAVES = (
    ("waiting for PostgreSQL (psycopg)", ("psycopg/",)),
    ("Redis client socket", ("redis/",)),
    ("Django ORM (query building, model instances)", ("django/db/",)),
    ("Django templates", ("django/template/", "crispy_forms/", "django/forms/renderers", "django/forms/boundfield")),
    ("Django forms", ("django/forms/",)),
    ("Django other (URLs, middleware, i18n, signing, http)", ("django/",)),
    ("gunicorn", ("gunicorn/",)),
    ("Celery / kombu", ("celery/", "kombu/")),
    ("application code", ("(accounts/", "(registration/", "(payments/", "(exams/", "(photos/", "(core/")),
)


def _py_spy_summary(paths: list[Path]) -> dict:
    """Shares of the sampled (non-idle) stacks of every gunicorn worker, from py-spy's raw output."""
    import re

    total = 0
    groups, leaves, frames = collections.Counter(), collections.Counter(), collections.Counter()
    for path in paths:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            stack, _sep, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            for name, needles in SPY_GROUPS:
                if any(needle in stack for needle in needles):
                    groups[name] += n
            leaf = re.sub(r"\(/\S*?site-packages/", "(", stack.rsplit(";", 1)[-1])
            leaf = re.sub(r"\(" + re.escape(str(ROOT)) + "/", "(", leaf)
            leaves[next((name for name, needles in SPY_LEAVES if any(x in leaf for x in needles)), "other")] += n
            frames[re.sub(r":\d+\)$", ")", leaf)] += n
    if not total:
        return {"files": [str(p.relative_to(ROOT)) for p in paths], "samples": 0}
    return {"files": [str(p.relative_to(ROOT)) for p in paths], "samples": total,
            "groups": {name: groups[name] / total for name, _n in SPY_GROUPS},
            "leaves": {name: n / total for name, n in leaves.most_common()},
            "top_leaf_frames": [{"frame": frame, "share": n / total} for frame, n in frames.most_common(15)]}


def _targets(figures: dict, phases: dict, audit: dict, five_xx: int) -> list[dict]:
    """The issue's targets, judged on the pages and takes phases; the journey's (flow phase)
    figures beside them for reference ("met": None: not judged)."""
    takes_target = f"hot-area seat takes >= {TARGET_HOT_TAKES_PER_S}/s with p99 < {TARGET_ORDER_P99_MS} ms"
    pages_target = f"authenticated pages >= {TARGET_PAGES_PER_S} req/s with p99 < {TARGET_PAGES_P99_MS} ms"
    rows = []
    if "takes" in phases:
        f = phases["takes"]["figures"]
        rate, p99_takes, p99_all = f["take_rate_per_s"] or 0.0, f["order_takes"]["p99_ms"], f["order_all"]["p99_ms"]
        rows.append({"target": takes_target,
                     "measured": f"takes phase: {rate:.1f} takes/s; order p99 {_fmt(p99_takes, 1)} ms (successful), "
                                 f"{_fmt(p99_all, 1)} ms (all attempts)",
                     "met": rate >= TARGET_HOT_TAKES_PER_S and all(
                         p99 is not None and p99 < TARGET_ORDER_P99_MS for p99 in (p99_takes, p99_all))})
    else:
        rows.append({"target": takes_target, "measured": "not measured (--no-takes)", "met": None})
    if "pages" in phases:
        overall = phases["pages"]["figures"]["overall"]
        rows.append({"target": pages_target,
                     "measured": f"pages phase: {overall['per_s']:.0f} req/s, p99 {_fmt(overall['p99_ms'], 1)} ms",
                     "met": overall["per_s"] >= TARGET_PAGES_PER_S
                     and (overall["p99_ms"] or 1e9) < TARGET_PAGES_P99_MS})
    else:
        rows.append({"target": pages_target, "measured": "not measured (--no-pages)", "met": None})
    rows += [
        {"target": "  journey (flow phase): hot-area seat takes",
         "measured": f"{figures['hot_takes_per_s'] or 0.0:.1f}/s, p99 {_fmt(figures['hot_phase_order_p99_ms'], 1)} ms",
         "met": None},
        {"target": "  journey (flow phase): platform pages",
         "measured": f"{figures['pages_per_s']:.0f} req/s, p99 {_fmt(figures['pages_p99_ms'], 1)} ms", "met": None},
        {"target": "no oversell, no 5xx, no lost payment",
         "measured": f"{len(audit['oversold_quotas'])} oversold, {five_xx} 5xx (all phases), "
                     f"{len(audit['lost_payments'])} lost",
         "met": not audit["oversold_quotas"] and not five_xx and not audit["lost_payments"]},
    ]
    return rows


# --------------------------------------------------------------------------- the pages and takes phases


def _send(loader, message: dict) -> None:
    """One JSON line to the load generator's stdin."""
    loader.stdin.write((json.dumps(message) + "\n").encode())
    loader.stdin.flush()


def _expect_event(events: LineReader, timeout: float, event: str, phase: str) -> dict:
    message = events.next_event(timeout)
    if message.get("event") != event or message.get("phase") != phase:
        raise RuntimeError(f"the load generator said {message} instead of {event} {phase}")
    return message


def _run_phase(phase: str, loader, events: LineReader, meter: CpuMeter, ready_s: float, run_s: float) -> dict:
    """When the load generator is ready for `phase`, start it PHASE_START_DELAY_S later and
    account the CPU from that instant to its end."""
    _expect_event(events, ready_s, "ready", phase)
    start_at = time.time() + PHASE_START_DELAY_S
    _send(loader, {"start_at": start_at})
    time.sleep(max(0.0, start_at - time.time()))
    before = meter.snapshot()
    _expect_event(events, run_s + PHASE_START_DELAY_S, "done", phase)
    return CpuMeter.delta(before, meter.snapshot())


def _lean_phases(args, plan: dict, loader, events: LineReader, meter: CpuMeter) -> tuple[dict, dict | None]:
    """Prepare the pages and takes candidates (bench/rush/prepare.py) and run those phases;
    returns {phase: {"figures", "cpu", "cpu_per_request", "load"}} and what was prepared."""
    from django.db import connections

    from . import prepare as prepare_module

    if not (plan["pages"] or plan["takes"]):
        _send(loader, {"prepared": None})
        return {}, None
    prepared = prepare_module.prepare(plan, takes_seats=args.takes_seats)
    connections.close_all()
    _log(f"Prepared {len(plan['pages']):,} pages and {len(plan['takes']):,} takes candidates (sessions, enrollments) "
         f"in {prepared['seconds']:.1f} s" + ("; hot quotas for the takes: " + ", ".join(
             f"{name} {q['capacity']} seats for a demand of {q['first_choice_demand']}"
             for name, q in prepared["takes_quotas"].items()) if plan["takes"] else "") + ".")
    for phase in ("pages", "takes"):
        if phase in prepared:
            prepared[phase]["out"] = str(WORK / f"load-{phase}.json")
            Path(prepared[phase]["out"]).unlink(missing_ok=True)
    path = WORK / "prepared.json"
    path.write_text(json.dumps(prepared, ensure_ascii=False), encoding="utf-8")
    _send(loader, {"prepared": str(path)})
    bound = 30 + 60  # the load generator's request timeout and some room
    phases = {}
    for phase, ready_s, run_s in (("pages", 60, args.pages_duration + bound),
                                  ("takes", args.takes_timeout + bound, args.takes_timeout + bound)):
        if phase not in prepared:
            continue
        _log(f"{phase.capitalize()} phase ...")
        cpu = _run_phase(phase, loader, events, meter, ready_s, run_s)
        load = json.loads(Path(prepared[phase]["out"]).read_text(encoding="utf-8"))
        if phase == "pages":
            figures = _pages_figures(load)
            requests = figures["overall"]["count"]
            _log(f"  {requests:,} pages in {figures['duration_s']:.1f} s: {figures['overall']['per_s']:.0f}/s, "
                 f"p99 {_fmt(figures['overall']['p99_ms'], 1)} ms.")
        else:
            figures = _takes_figures(load, prepared, plan["areas"])
            requests = figures["attempts"]
            _log(f"  warm-up {figures['warmup_s']:.1f} s; {requests:,} order POSTs in {figures['burst_s']:.1f} s: "
                 f"{figures['takes']:,} takes ({_fmt(figures['take_rate_per_s'], 1)}/s), {figures['refused']:,} refused.")
        phases[phase] = {"figures": figures, "cpu": cpu, "cpu_per_request": _cpu_per_request(cpu, requests),
                         "load": {k: v for k, v in load.items() if k not in ("events", "attempts")}}
    return phases, prepared


def _phase_failures(phases: dict) -> list[str]:
    """What breaks the pages and takes phases (5xx answers are counted apart)."""
    found = []
    if "pages" in phases:
        f = phases["pages"]["figures"]
        if not f["overall"]["count"]:
            found.append("pages phase: no page answered")
        if f["not_200"]:
            found.append(f"pages phase: {f['not_200']} answers not 200 ({_statuses(f['overall']['status'])})")
        if f["overall"]["marker_missing"]:
            found.append(f"pages phase: {f['overall']['marker_missing']} pages without their marker")
        if f["transport_errors"]:
            found.append(f"pages phase: {f['transport_errors']} requests without an answer")
    if "takes" in phases:
        f = phases["takes"]["figures"]
        not_ready = sum(f["warmup_not_ready"].values()) + f["warmup_not_started"]
        if not_ready:
            found.append(f"takes phase: {not_ready} payment pages not ready ({f['warmup_not_ready']})")
        if not f["takes"]:
            found.append("takes phase: no successful take")
        if f["other"]:
            found.append(f"takes phase: order POSTs neither a take nor a refusal: {f['other']}")
    return found


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Registration-rush benchmark (see bench/rush/run.py).")
    parser.add_argument("--candidates", type=int, default=5000,
                        help="seeded candidates for the login and flow phases (up to 50,000); the pages and takes "
                             "phases' candidates are seeded on top of them")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients of the flow phase")
    parser.add_argument("--duration", type=float, default=40.0,
                        help="seconds after the opening during which new candidates start the flow (default 40; "
                             "60 before the pages and takes phases were added: shortened, like --grace and "
                             "--login-timeout, to keep a default run under 3 minutes)")
    parser.add_argument("--grace", type=float, default=10.0,
                        help="seconds for flows under way to finish (default 10; was 15)")
    parser.add_argument("--login-timeout", type=float, default=15.0,
                        help="bound of the login phase (s): candidates not logged in by then stay out (default 15, "
                             "was 40: that still logs in about twice as many candidates as the flow phase takes)")
    parser.add_argument("--hot-seats", type=int, default=None,
                        help="seats per hot quota (default: a tenth of the expected first-choice demand)")
    parser.add_argument("--pages-clients", type=int, default=64, help="concurrent clients of the pages phase (default 64)")
    parser.add_argument("--pages-duration", type=float, default=20.0, help="length of the pages phase (s, default 20)")
    parser.add_argument("--pages-candidates", type=int, default=1000,
                        help="candidates at the area step whose pages the pages phase cycles through (default 1000)")
    parser.add_argument("--no-pages", action="store_true", help="skip the pages phase")
    parser.add_argument("--takes-clients", type=int, default=64, help="concurrent clients of the takes phase (default 64)")
    parser.add_argument("--takes-candidates", type=int, default=2000,
                        help="confirmed candidates for a hot area, one order POST each in the takes phase (default 2000)")
    parser.add_argument("--takes-seats", type=int, default=None,
                        help="new seats per hot quota for the takes phase (default: half the burst's demand on it)")
    parser.add_argument("--takes-timeout", type=float, default=60.0,
                        help="bound of the takes phase's warm-up and, apart, of its burst (s, default 60)")
    parser.add_argument("--no-takes", action="store_true", help="skip the takes phase")
    parser.add_argument("--drain", type=float, default=30.0, help="bound of the wait for the worker (s)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--max-requests", type=int, default=10000,
                        help="gunicorn --max-requests as in the image's GUNICORN_CMD_ARGS (Dockerfile; jitter a "
                             "tenth of it; 0: never recycle workers)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--profile", metavar="SECONDS", type=float, default=0.0,
                        help="py-spy record every gunicorn worker for the first SECONDS of the rush")
    parser.add_argument("--profile-mode", choices=("cpu", "wall"), default="cpu",
                        help="cpu: sample only threads holding the GIL (where the CPU goes); wall: every "
                             "non-idle thread (where the time goes, waits for PostgreSQL and Redis included)")
    parser.add_argument("--no-probe", action="store_true",
                        help="skip the per-request cost probe after the audit (bench/rush/probe.py)")
    parser.add_argument("--keep-db", action="store_true", help=f"keep the {PG_DATABASE} database")
    parser.add_argument("--json", type=Path, help="where to write the result (default bench/results/rush-<time>.json)")
    args = parser.parse_args(argv)
    if not 1 <= args.candidates <= 50_000:
        parser.error("--candidates must be between 1 and 50,000")
    if min(args.clients, args.pages_clients, args.takes_clients) < 1 or min(
            args.duration, args.pages_duration, args.takes_timeout) <= 0:
        parser.error("the numbers of clients, --duration, --pages-duration and --takes-timeout must be positive")
    if not (1 <= args.pages_candidates <= 10_000 and 1 <= args.takes_candidates <= 20_000):
        parser.error("--pages-candidates must be between 1 and 10,000, --takes-candidates between 1 and 20,000")
    if args.takes_seats is not None and args.takes_seats < 0:
        parser.error("--takes-seats cannot be negative")
    if args.profile and not (VENV_BIN / "py-spy").exists():
        parser.error("--profile needs py-spy: .venv/bin/pip install py-spy")

    started_at = datetime.datetime.now()
    load_start = os.getloadavg()
    WORK.mkdir(parents=True, exist_ok=True)
    for stale in [*(WORK / name for name in ("gunicorn.log", "worker.log", "load.log", "py-spy.log", "bench.env")),
                  *WORK.glob("py-spy-*.txt")]:
        stale.unlink(missing_ok=True)
    shutil.rmtree(WORK / "private", ignore_errors=True)
    port = _free_port()
    bench_env = _environment(port)  # generated once: the keys must be the same in every process
    env = {**os.environ, **bench_env}
    processes = Processes()
    interrupted = False

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    result: dict = {"started": started_at.isoformat(timespec="seconds"), "machine": {
        "platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}}
    failures: list[str] = []
    try:
        try:
            pg_version = _pg_execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)',
                                     f'CREATE DATABASE "{PG_DATABASE}"')
            redis_version = _redis_flush()
        except Exception as exc:  # noqa: BLE001 - say what is missing and stop
            _log(f"bench-rush needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379: {exc}")
            return 2
        result["machine"].update(postgresql=pg_version, redis=redis_version)
        os.environ.update(bench_env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        from . import audit as audit_module
        from . import seed as seed_module

        t = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        prepare_s = time.perf_counter() - t
        pages_candidates = 0 if args.no_pages else args.pages_candidates
        takes_candidates = 0 if args.no_takes else args.takes_candidates
        _log(f"Database {PG_DATABASE} migrated, static files collected ({prepare_s:.1f} s). "
             f"Seeding {args.candidates:,} candidates for the flow, {pages_candidates:,} for the pages phase and "
             f"{takes_candidates:,} for the takes phase ...")
        t = time.perf_counter()
        plan = seed_module.seed(args.candidates, pages=pages_candidates, takes=takes_candidates, log=_log)
        seed_s = time.perf_counter() - t
        _log(f"Seeded in {seed_s:.1f} s (passwords hashed with {plan['password_hasher']}, the bench's first hasher).")
        connections.close_all()

        gunicorn = [str(VENV_BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                    "--worker-class", "gthread", "--workers", str(args.workers), "--threads", str(args.threads),
                    "--timeout", "60", "--graceful-timeout", "30", "--keep-alive", "5",
                    "--max-requests", str(args.max_requests), "--max-requests-jitter",
                    str(args.max_requests // 10), "--worker-tmp-dir", "/dev/shm", "--no-control-socket"]
        server = processes.start("gunicorn", gunicorn, env, WORK / "gunicorn.log")
        worker = processes.start("worker", [str(VENV_BIN / "celery"), "-A", "config", "worker", "--loglevel=INFO",
                                   f"--concurrency={args.worker_concurrency}", "--without-gossip",
                                   "--without-mingle", "-n", "bench-rush@%h"], env, WORK / "worker.log")
        _wait_healthy(port, processes)
        _log(f"gunicorn on http://127.0.0.1:{port}/ (gthread {args.workers}x{args.threads}) and the Celery worker are up.")

        plan_path = WORK / "plan.json"
        plan_path.write_text(json.dumps({**{k: v for k, v in plan.items() if k not in ("probes", "pages", "takes")},
                                         "base_url": f"http://127.0.0.1:{port}"}, ensure_ascii=False),
                             encoding="utf-8")
        load_out = WORK / "load-result.json"
        load_out.unlink(missing_ok=True)
        loader = processes.start(
            "load generator",
            [sys.executable, "-m", "bench.rush.load", "--plan", str(plan_path), "--out", str(load_out),
             "--clients", str(args.clients), "--duration", str(args.duration), "--grace", str(args.grace),
             "--login-timeout", str(args.login_timeout), "--pages-clients", str(args.pages_clients),
             "--pages-duration", str(args.pages_duration), "--takes-clients", str(args.takes_clients),
             "--takes-timeout", str(args.takes_timeout)],
            {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}, WORK / "load.log",
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        events = LineReader(loader.stdout)
        _log(f"Logging {args.candidates:,} candidates in ({args.clients} clients) ...")
        logged = events.next_event(args.login_timeout + 60)
        _log(f"  {logged['logged_in']:,} logged in ({logged['failed']} failed) in {logged['seconds']} s.")
        if not logged["logged_in"]:
            raise RuntimeError("no candidate could log in (see var/bench-rush/gunicorn.log)")

        # Size the hot areas on the candidates the rush can take (see seed.size_hot_areas).
        arrivals = min(logged["logged_in"], max(args.clients, math.ceil(
            logged["requests_per_s"] * args.duration / REQUESTS_PER_CANDIDATE)))
        hot_sizing = seed_module.size_hot_areas(plan, arrivals, args.hot_seats)
        _log(f"  expected arrivals in the window ~{arrivals:,} (login phase: {logged['requests_per_s']} req/s); hot "
             "quotas: " + ", ".join(f"{k} {v['capacity']} seats for {v['first_choice_demand']}"
                                    for k, v in hot_sizing.items()))
        opens_at = seed_module.open_registration(plan["exam_id"], OPEN_DELAY_S)
        connections.close_all()
        _send(loader, {"opens_at": opens_at})
        _log(f"Registration opens in {OPEN_DELAY_S:.0f} s; the rush lasts {args.duration:.0f} s (+ up to "
             f"{args.grace:.0f} s for flows under way).")
        meter = CpuMeter({"gunicorn": server.pid, "worker": worker.pid, "load generator": loader.pid}, _redis_pid())
        time.sleep(max(0.0, opens_at - time.time()))
        cpu_before = meter.snapshot()
        profilers = []
        if args.profile:
            for pid in _gunicorn_workers(server.pid):
                profilers.append(processes.start(
                    "py-spy", [str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--duration",
                               str(int(args.profile)), "--rate", "200", "--format", "raw", "--nonblocking",
                               *(["--gil"] if args.profile_mode == "cpu" else []),
                               "--output", str(WORK / f"py-spy-{pid}.txt")], env, WORK / "py-spy.log"))
        done = events.next_event(args.duration + args.grace + OPEN_DELAY_S + 60)
        cpu = CpuMeter.delta(cpu_before, meter.snapshot())
        _log(f"Rush over after {done['rush_s']} s. Waiting for the worker to drain ...")
        for profiler in profilers:
            profiler.wait(timeout=args.profile + 30)
        load = json.loads(load_out.read_text(encoding="utf-8"))

        from payments.sandbox.models import SandboxTransaction, TransactionStatus

        t = time.perf_counter()
        while time.perf_counter() - t < args.drain:
            pending = SandboxTransaction.objects.filter(status=TransactionStatus.PAID, notified_at__isnull=True).count()
            if not pending and not _celery_backlog():
                break
            time.sleep(0.5)
        drain_s = time.perf_counter() - t
        phases, prepared = _lean_phases(args, plan, loader, events, meter)
        meter.stop()
        loader.wait(timeout=30)
        takes_audit = None
        if "takes" in phases:
            takes = phases["takes"]["figures"]
            takes_audit = {"enrollment_ids": [person["enrollment"] for person in prepared["takes"]["people"]],
                           "takes": takes["takes"], "seats": takes["seats_taken"], "quotas": takes["quotas"]}
        audit = audit_module.audit(plan["exam_id"], takes=takes_audit)
        probe = None
        if not args.no_probe:
            from . import probe as probe_module

            try:
                probe = probe_module.probe(plan["probes"], plan["exam_id"], plan["password"], f"127.0.0.1:{port}")
            except Exception as exc:  # noqa: BLE001 - the probe informs; it does not fail the run
                probe = {"error": f"{type(exc).__name__}: {exc}"}
        connections.close_all()

        figures = _figures(load, plan)
        failures.extend(audit["problems"])
        five_xx = {"flow": figures["five_xx"], **{name: phase["figures"]["five_xx"] + phase["figures"].get(
            "warmup_five_xx", 0) for name, phase in phases.items()}}
        if sum(five_xx.values()):
            failures.append(f"{sum(five_xx.values())} answers with a 5xx status ("
                            + ", ".join(f"{name} {n}" for name, n in five_xx.items() if n) + ")")
        if not figures["completed"]:
            failures.append("no enrollment was completed")
        failures.extend(_phase_failures(phases))
        result.update({
            "config": {"candidates": args.candidates, "clients": args.clients, "duration_s": args.duration,
                       "grace_s": args.grace, "gunicorn": f"gthread {args.workers}x{args.threads}, max-requests "
                                                          f"{args.max_requests}",
                       "worker_concurrency": args.worker_concurrency, "settings": SETTINGS,
                       "pages_clients": args.pages_clients, "pages_duration_s": args.pages_duration,
                       "pages_candidates": pages_candidates, "takes_clients": args.takes_clients,
                       "takes_candidates": takes_candidates, "takes_seats": args.takes_seats,
                       "takes_timeout_s": args.takes_timeout,
                       "profile_s": args.profile, "profile_mode": args.profile_mode, "load_average_start": load_start,
                       "load_average_end": os.getloadavg(),
                       "database": PG_DATABASE, "redis": REDIS_URL},
            "timings": {"prepare_s": prepare_s, "seed_s": seed_s, **plan["timings"], "drain_s": drain_s,
                        "login_s": load["login_s"], "rush_s": load["rush_s"],
                        **({"prepare_phases_s": prepared["seconds"]} if prepared else {}),
                        **({"pages_s": phases["pages"]["figures"]["duration_s"]} if "pages" in phases else {}),
                        **({"takes_warmup_s": phases["takes"]["figures"]["warmup_s"],
                            "takes_burst_s": phases["takes"]["figures"]["burst_s"]} if "takes" in phases else {})},
            "seed": {"password_hasher": plan["password_hasher"], "capacities": plan["capacities"],
                     "expected_arrivals": arrivals, "hot_quotas": hot_sizing},
            "load": {k: v for k, v in load.items() if k not in ("events", "outcomes", "labels")},
            "figures": figures, "audit": audit, "probe": probe, "cpu": cpu,
            "cpu_per_request": _cpu_per_request(cpu, figures["requests"]), "phases": phases,
            "prepare": prepared and {key: prepared.get(key) for key in ("seconds", "timings", "takes_quotas")},
            "five_xx": five_xx,
        })
        result["targets"] = _targets(figures, phases, audit, sum(five_xx.values()))
        result["failures"] = failures
        if profilers:
            result["py_spy"] = _py_spy_summary(sorted(WORK.glob("py-spy-*.txt")))
    except KeyboardInterrupt:
        interrupted = True
        _log("Interrupted: stopping the processes.")
    except Exception as exc:  # noqa: BLE001 - report, clean up, fail
        _log(f"bench-rush failed: {type(exc).__name__}: {exc}")
        failures.append(f"{type(exc).__name__}: {exc}")
        result["failures"] = failures
    finally:
        processes.stop_all()
        with contextlib.suppress(Exception):  # Django may not be set up yet
            from django.db import connections

            connections.close_all()
        if not args.keep_db:
            try:
                _pg_execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
                _redis_flush()
            except Exception as exc:  # noqa: BLE001
                _log(f"Could not clean up {PG_DATABASE} / {REDIS_URL}: {exc}")
            shutil.rmtree(WORK / "private", ignore_errors=True)
        else:
            env_file = WORK / "bench.env"
            env_file.write_text("".join(f"export {k}='{v}'\n" for k, v in sorted(bench_env.items())), encoding="utf-8")
            env_file.chmod(0o600)
            _log(f"Kept the database {PG_DATABASE} and Redis DB 12; its settings and throwaway keys are in "
                 f"{env_file.relative_to(ROOT)} (`. {env_file.relative_to(ROOT)}; .venv/bin/python manage.py shell`).")
    if interrupted:
        return 130
    if "figures" not in result:
        return 1
    print(_report(result))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.json or RESULTS / f"rush-{started_at:%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"\nWritten to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 1 if failures else 0
