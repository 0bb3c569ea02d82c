"""Cost of each request of the flow, for one spare candidate, measured in the launcher's process.

After the rush (the window is still open) the launcher walks one seeded candidate who took no
part in it through the same requests with Django's test client (same settings, database, Redis
cache and sessions), and records per request: the status, the SQL statements (all, and the writes
among them), the wall and CPU milliseconds, and the share spent in a few known places, taken
from cProfile (which slows everything down about twofold: read the shares, not the absolute
milliseconds). Single-threaded and without contention: this is the floor under the rush latencies.

py-spy profiles of the real gunicorn workers under load come from `--profile` (see run.py)."""
from __future__ import annotations

import cProfile
import html
import pstats
import re
import time

# (name, file suffix, function) whose cumulative time is reported; recursion counts once.
PLACES = (
    ("template rendering", "django/template/base.py", "render"),
    ("SQL (execute + fetch)", "django/db/backends/utils.py", "_execute"),
    ("session save", "core/sessions.py", "save"),
    ("session load", "core/sessions.py", "load"),
    ("audit log", "core/audit.py", "audit_log"),
    ("form validation", "django/forms/forms.py", "full_clean"),
    ("password check", "django/contrib/auth/hashers.py", "check_password"),
    ("cache (Redis)", "django/core/cache/backends/redis.py", "get"),
    ("Celery publish", "celery/app/task.py", "apply_async"),
)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)", re.IGNORECASE)


def _cumulative(stats: pstats.Stats) -> dict[str, float]:
    found = {}
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        for name, suffix, wanted in PLACES:
            if function == wanted and filename.endswith(suffix):
                found[name] = found.get(name, 0.0) + cumulative * 1000
    return found


def _walk(call, person: dict, exam_id: int, password: str) -> None:
    """The flow, request by request, as bench/rush/load.py makes it (first-choice area, no fallback)."""
    from urllib.parse import urlsplit

    call("login_page", "GET", "/accounts/login/?next=/enroll/")
    call("login", "POST", "/accounts/login/?next=/enroll/", {
        "login": person["username"], "password": password, "captcha_0": "x", "captcha_1": "PASSED",
        "entry": "individual", "next": "/enroll/"})
    call("exam_list", "GET", "/enroll/")
    notice = f"/enroll/exams/{exam_id}/notice/"
    call("notice", "GET", notice)
    response = call("notice_post", "POST", notice, {"accept": "on"})
    progress = response["Location"]
    pk = int(progress.strip("/").split("/")[-1])
    call("progress", "GET", progress)
    call("info", "GET", f"/enroll/{pk}/info/")
    call("info_post", "POST", f"/enroll/{pk}/info/", {
        "nationality": "CN", "ethnicity": "01", "residence_city": "北京市", "education_level": "bachelor",
        "employer": "某认证有限公司", "mobile": person["mobile"], "mailing_address": "北京市海淀区学院路 30 号",
        "email": person["email"], "invoice_wanted": "False"})
    call("subjects", "GET", f"/enroll/{pk}/subjects/")
    call("subjects_post", "POST", f"/enroll/{pk}/subjects/", person["choices"])
    call("area", "GET", f"/enroll/{pk}/area/")
    call("area_post", "POST", f"/enroll/{pk}/area/", {"area": str(person["probe_area"])})
    call("confirm", "GET", f"/enroll/{pk}/confirm/")
    call("confirm_post", "POST", f"/enroll/{pk}/confirm/", {"confirm": "on"})
    call("payment_page", "GET", f"/pay/enrollment/{pk}/")
    response = call("order_post", "POST", f"/pay/enrollment/{pk}/order/", {"provider": "sandbox"})
    response = call("gateway", "GET", response["Location"])
    trade_no = re.search(r'action="/sandbox-pay/checkout/([^/"]+)/pay/"', response.content.decode()).group(1)
    response = call("sandbox_pay", "POST", f"/sandbox-pay/checkout/{trade_no}/pay/")
    back = urlsplit(html.unescape(re.search(r'href="([^"]+)" data-testid="sandbox-return"',
                                            response.content.decode()).group(1)))
    call("return", "GET", f"{back.path}?{back.query}")
    call("payment_page", "GET", f"/pay/enrollment/{pk}/")


def probe(people: list[dict], exam_id: int, password: str, host: str) -> dict:
    """Two spare candidates: the first walk measures (SQL, wall and CPU time, no profiler), the
    second runs under cProfile for the shares."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def client_for(person):
        return Client(HTTP_HOST=host, HTTP_X_FORWARDED_FOR=person["address"], HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    rows = []
    client = client_for(people[0])

    lock_holds = []
    current = [""]

    def quota_lock_timer(execute, sql, params, many, context):
        """The seat take's conditional UPDATE locks the quota row until the transaction commits:
        note when it starts and, through on_commit, when the commit is done. The callback goes
        first in the on-commit queue, ahead of those registered before the UPDATE (the seat
        figures' refresh publishes a Celery task), which run after the locks are gone."""
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "exams_seatquota"') and connection.in_atomic_block:
            started = time.perf_counter()
            label = current[0]
            # Django's own queue of (savepoint ids, callback, robust); first place = right after COMMIT.
            connection.run_on_commit.insert(0, (set(connection.savepoint_ids), lambda: lock_holds.append(
                [label, (time.perf_counter() - started) * 1000]), False))
        return result

    def measured(label, method, path, data=None):
        current[0] = label
        with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(quota_lock_timer):
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(path) if method == "GET" else client.post(path, data or {})
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        statements = [q["sql"] for q in queries.captured_queries]
        rows.append({"request": label, "status": response.status_code, "queries": len(statements),
                     "writes": sum(1 for s in statements if WRITE.match(s)), "wall_ms": wall * 1000,
                     "cpu_ms": cpu * 1000, "sql": [re.sub(r"\s+", " ", s)[:160] for s in statements]})
        return response

    _walk(measured, people[0], exam_id, password)

    profile = cProfile.Profile()
    client = client_for(people[1])
    profiled_ms = []

    def profiled(label, method, path, data=None):
        started = time.perf_counter()
        profile.enable()
        response = client.get(path) if method == "GET" else client.post(path, data or {})
        profile.disable()
        if label != "login_page":  # the first request of the walk pays for nothing the others do not
            profiled_ms.append((time.perf_counter() - started) * 1000)
        return response

    _walk(profiled, people[1], exam_id, password)
    stats = pstats.Stats(profile)
    total_ms = sum(profiled_ms)
    places = _cumulative(stats)
    top_self = []
    for (filename, line, function), (_cc, calls, own, _cum, _callers) in sorted(
            stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:20]:
        short = re.sub(r"^.*site-packages/", "", filename).replace(str(_root()) + "/", "")
        top_self.append({"function": f"{short}:{line}({function})", "calls": calls, "self_ms": own * 1000})
    return {"requests": rows, "profiled_total_ms": total_ms, "quota_row_lock_ms": lock_holds,
            "places": {name: {"ms": ms, "share": ms / total_ms if total_ms else 0.0} for name, ms in places.items()},
            "top_self": top_self}


def _root():
    from django.conf import settings

    return settings.BASE_DIR
