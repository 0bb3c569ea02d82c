"""The rush's load generator: a separate process talking HTTP to the gunicorn server on
127.0.0.1 the way browsers do, phase after phase.

    python -m bench.rush.load --plan PLAN.json --out RESULT.json [--clients 64] [--duration 40] ...

The launcher (bench.rush.run) starts it and talks to it over stdin/stdout, one JSON line each way.
The login and flow phases use aiohttp; the pages and takes phases use the lean HTTP/1.1 client
of bench/rush/http1.py (one kept-alive connection per client coroutine), which costs the client
a fraction of aiohttp's CPU per request.

1. Login (not counted): every candidate logs in (login page → POST with the picture code "PASSED"
   → the exam list, where the exam is "not open yet"), `--clients` at a time. It prints
   {"event": "logged_in", ...} and waits for {"opens_at": <unix time>} on stdin: the launcher has
   moved the exam's registration_opens_at there.
2. Flow (the journey): at the opening, `--clients` concurrent clients take candidates from the
   queue (random order, hot and other first choices mixed) and take each one through the whole
   flow: exam list → notice (accept) → information → subjects → area (the first choice; on 409
   "sold out", another area that the page shows with seats left) → confirm → payment page → order
   (the seat take) → the sandbox gateway → pay → back to the platform's return URL, which asks the
   platform. Every POST that redirects is followed like a browser follows it. An order refused
   because the seats went between the area step and the order sends the candidate back to the
   area step. No new candidate starts after `--duration` seconds; flows under way get `--grace`
   seconds to finish. Then it writes --out and prints {"event": "done", "phase": "flow"}.
3. It waits for {"prepared": PATH or null} on stdin: the launcher has given the pages and takes
   candidates sessions (their keys are sent as the session cookie; they never log in over HTTP)
   and enrollments, and lists them in PATH with where each phase writes its result.
4. Pages (if prepared): it prints {"event": "ready", "phase": "pages"} and waits for
   {"start_at": <unix time>}. Then `--pages-clients` clients, for `--pages-duration` seconds, each
   take the next candidate in turn (cycling through them) and GET that candidate's three pages:
   the exam's seats-left page, the subjects step and the area step of an enrollment that is at the
   area step. Every answer must be 200 and hold its page's marker (MARKERS); a missing marker is
   counted per page.
5. Takes (if prepared): the candidates have confirmed enrollments for a hot area. Not counted:
   `--takes-clients` clients GET each candidate's payment page (200, with the pay form), which
   sets its csrftoken cookie as in a browser. It prints {"event": "ready", "phase": "takes"} and
   waits for {"start_at": ...}; at that instant the same clients, on the same kept-alive
   connections, POST the order (provider=sandbox), one per candidate, until every candidate has
   had its attempt or `--takes-timeout` seconds have passed. A take redirects to the sandbox
   gateway; a refusal (the seats are gone) back to the payment page; both are 302.
   The orders are left unpaid.
Each phase writes its result file and prints {"event": "done", "phase": ...}.

Each candidate is one browser: its own cookie jar (sessionid, csrftoken, messages), the CSRF token
read from the csrftoken cookie and sent as the csrfmiddlewaretoken field with an Origin header,
and its own client address in X-Forwarded-For (the bench settings trust one proxy, the role this
process also plays), so per-address login limits apply per candidate. Connections are kept
alive, `--clients` at most per phase. Pages are read with a few regular expressions, not a DOM.

Every loop is bounded: by the number of candidates (or requests), by attempts per step and by time."""
from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import html
import json
import random
import re
import sys
import time
from urllib.parse import urlencode, urlsplit

import aiohttp

from . import http1

LOGIN_LABELS = ("login_page", "login", "exam_list_before")
# Labels of the candidate's own pages (everything but the payment platform's checkout).
SANDBOX_LABELS = ("gateway", "sandbox_pay")
EXPECTED = {
    "login_page": {200}, "login": {302}, "exam_list_before": {200},
    "exam_list": {200}, "notice": {200}, "notice_post": {302}, "progress": {200},
    "info": {200}, "info_post": {302}, "subjects": {200}, "subjects_post": {302},
    "area": {200}, "area_post": {302, 409}, "confirm": {200}, "confirm_post": {302, 409},
    "payment_page": {200}, "order_post": {302}, "gateway": {200}, "sandbox_pay": {200}, "return": {302},
    "availability": {200},
}
# The information step as the flow fills it in (bench/rush/prepare.py saves the same for the
# pages and takes candidates), without the candidate's own mobile and e-mail.
INFO_FORM = {"nationality": "CN", "ethnicity": "01", "residence_city": "北京市", "education_level": "bachelor",
             "employer": "某认证有限公司", "mailing_address": "北京市海淀区学院路 30 号", "invoice_wanted": "False"}
# What proves each page of the pages phase is the real page (templates/exams/availability.html,
# templates/registration/subjects_form.html and area_form.html); the subjects page must also have
# a field name="sitting_<id>" for every sitting of the exam.
MARKERS = {"availability": b'id="availability"', "subjects": b'name="sitting_', "area": b'data-testid="area-availability"'}
AGENT = "bench-rush/1"
MAX_TRANSPORT_FAILURES = 5  # a client of the pages phase stops after this many requests in a row without an answer

MAX_AREA_ATTEMPTS = 8  # area choices per candidate (first choice + fallbacks + retries after a lost order)
RETRYABLE = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)

CAPTCHA_KEY = re.compile(r'name="captcha_0"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="captcha_0"')
ENROLLMENT_PK = re.compile(r"^/enroll/(\d+)/$")
AREA_ROW = re.compile(r'<tr class="(table-secondary)?"><td>([^<]+)</td>')
TRADE_NO = re.compile(r'action="/sandbox-pay/checkout/([^/"]+)/pay/"')
BACK_LINK = re.compile(r'href="([^"]+)" data-testid="sandbox-return"')


class FlowError(Exception):
    """The flow cannot go on for this candidate (an unexpected answer); counted as an error."""


class Stats:
    def __init__(self):
        self.latency = collections.defaultdict(list)  # label -> [ms]
        self.status = collections.defaultdict(collections.Counter)  # label -> {status: count}
        self.unexpected = collections.Counter()  # "label status" -> count
        self.transport_errors = collections.Counter()  # "label ExceptionName" -> count
        self.retries = 0
        self.events = []  # (start offset s, end offset s, label, status) in the rush phase
        self.t0 = None  # the rush's start (perf_counter), None while logging in

    def record(self, label, status, started, ended):
        self.latency[label].append((ended - started) * 1000)
        self.status[label][status] += 1
        if status not in EXPECTED.get(label, {200}):
            self.unexpected[f"{label} {status}"] += 1
        if self.t0 is not None:
            self.events.append((round(started - self.t0, 4), round(ended - self.t0, 4), label, status))


def _local(url: str) -> str:
    """The path and query of a URL (Location headers may be absolute)."""
    if not url.startswith("http"):
        return url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Identity:
    """One candidate's browser as the server sees it: its cookie jar and its client address."""

    def __init__(self, base: str, person: dict, cookies: dict[str, str] | None = None, csrf_cookie: str = "csrftoken"):
        self.base, self.person, self.csrf_cookie = base, person, csrf_cookie
        self.cookies: dict[str, str] = dict(cookies or {})

    def headers(self, method: str, client: str) -> dict[str, str]:
        headers = {"X-Forwarded-For": self.person["address"], "Accept-Language": "zh-CN,zh;q=0.9",
                   "User-Agent": f"{AGENT} ({client})"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Origin"] = self.base
        return headers

    def form(self, data: dict | None) -> dict:
        """A POST's fields, with the CSRF token from the cookie as a browser's page would have it."""
        return {**(data or {}), "csrfmiddlewaretoken": self.cookies.get(self.csrf_cookie, "")}


class Browser(Identity):
    """One candidate's browser in the login and flow phases (aiohttp): the requests it makes."""

    def __init__(self, http: aiohttp.ClientSession, base: str, person: dict, password: str, stats: Stats):
        super().__init__(base, person)
        self.http, self.password, self.stats = http, password, stats
        self.outcome = {"username": person["username"], "first_area": person["first_area"], "area": None,
                        "fallbacks": 0, "lost_orders": 0, "started_at": None, "take_at": None, "done_at": None,
                        "error": None,
                        "orders": []}  # [area id, ms, seats taken?] per order POST

    async def request(self, label: str, method: str, url: str, data: dict | None = None) -> tuple[int, str, str]:
        """(status, Location path, body); the body is read for 200/4xx/5xx answers only."""
        url = _local(url)
        headers = self.headers(method, "aiohttp")
        if method == "POST":
            data = self.form(data)
        for attempt in range(2):
            started = time.perf_counter()
            try:
                async with self.http.request(method, self.base + url, data=data, headers=headers,
                                             allow_redirects=False) as response:
                    body = await response.text() if response.status not in (301, 302, 303) else ""
                    ended = time.perf_counter()
                    http1.store_cookies(self.cookies, response.headers.getall("Set-Cookie", []))
                    location = response.headers.get("Location", "")
                    status = response.status
            except RETRYABLE as exc:
                # A kept-alive connection the server closed (keep-alive timeout, --max-requests
                # restart): a browser retries once on a fresh connection, and so do we.
                if attempt == 0:
                    self.stats.retries += 1
                    continue
                self.stats.transport_errors[f"{label} {type(exc).__name__}"] += 1
                raise FlowError(f"{label}: {type(exc).__name__}") from exc
            except (TimeoutError, aiohttp.ClientError) as exc:
                self.stats.transport_errors[f"{label} {type(exc).__name__}"] += 1
                raise FlowError(f"{label}: {type(exc).__name__}") from exc
            self.stats.record(label, status, started, ended)
            return status, _local(location), body
        raise AssertionError("unreachable")

    async def expect(self, label, method, url, data=None, statuses=(200,)):
        status, location, body = await self.request(label, method, url, data)
        if status not in statuses:
            raise FlowError(f"{label}: HTTP {status}")
        return status, location, body

    # ------------------------------------------------------------------ before the window

    async def log_in(self) -> None:
        _s, _l, body = await self.expect("login_page", "GET", "/accounts/login/?next=/enroll/")
        match = CAPTCHA_KEY.search(body)
        key = (match.group(1) or match.group(2)) if match else ""
        _s, location, _b = await self.expect("login", "POST", "/accounts/login/?next=/enroll/", {
            "login": self.person["username"], "password": self.password, "captcha_0": key, "captcha_1": "PASSED",
            "entry": "individual", "next": "/enroll/"}, statuses=(302,))
        if not location.startswith("/enroll/"):
            raise FlowError(f"login: redirected to {location[:60]}")
        await self.expect("exam_list_before", "GET", location)

    # ------------------------------------------------------------------ the rush

    async def enroll(self, plan: dict, rng: random.Random, t0: float) -> None:
        self.outcome["started_at"] = round(time.perf_counter() - t0, 4)
        exam_id = plan["exam_id"]
        _s, _l, body = await self.expect("exam_list", "GET", "/enroll/")
        notice = f"/enroll/exams/{exam_id}/notice/"
        if notice not in body:
            raise FlowError("exam list: no link to the notice (registration not open?)")
        await self.expect("notice", "GET", notice)
        _s, location, _b = await self.expect("notice_post", "POST", notice, {"accept": "on"}, statuses=(302,))
        match = ENROLLMENT_PK.match(location)
        if not match:
            raise FlowError(f"notice: redirected to {location[:60]}")
        pk = int(match.group(1))
        progress = f"/enroll/{pk}/"
        await self.expect("progress", "GET", progress)

        await self.expect("info", "GET", f"/enroll/{pk}/info/")
        await self.expect("info_post", "POST", f"/enroll/{pk}/info/", {
            **INFO_FORM, "mobile": self.person["mobile"], "email": self.person["email"]}, statuses=(302,))
        await self.expect("progress", "GET", progress)

        _s, _l, body = await self.expect("subjects", "GET", f"/enroll/{pk}/subjects/")
        for field in self.person["choices"]:
            if f'name="{field}"' not in body:
                raise FlowError(f"subjects: no field {field}")
        await self.expect("subjects_post", "POST", f"/enroll/{pk}/subjects/", self.person["choices"], statuses=(302,))
        await self.expect("progress", "GET", progress)

        names = plan["areas"]  # id -> name
        refused: set[int] = set()
        wanted = self.person["first_area"]
        _s, _l, page = await self.expect("area", "GET", f"/enroll/{pk}/area/")
        for _attempt in range(MAX_AREA_ATTEMPTS):
            if wanted is None:
                wanted = self._pick_area(page, names, refused, rng)
            status, _l, page = await self.expect("area_post", "POST", f"/enroll/{pk}/area/", {"area": str(wanted)},
                                                 statuses=(302, 409))
            if status == 409:  # sold out: the answer is the area page again, with the areas that have seats
                refused.add(wanted)
                self.outcome["fallbacks"] += 1
                wanted = None
                continue
            await self.expect("progress", "GET", progress)
            await self.expect("confirm", "GET", f"/enroll/{pk}/confirm/")
            status, _l, page = await self.expect("confirm_post", "POST", f"/enroll/{pk}/confirm/", {"confirm": "on"},
                                                 statuses=(302, 409))
            if status == 409:  # the area filled up since: choose again
                refused.add(wanted)
                self.outcome["fallbacks"] += 1
                wanted = None
                _s, _l, page = await self.expect("area", "GET", f"/enroll/{pk}/area/")
                continue
            await self.expect("progress", "GET", progress)
            await self.expect("payment_page", "GET", f"/pay/enrollment/{pk}/")
            started = time.perf_counter()
            _s, location, _b = await self.expect("order_post", "POST", f"/pay/enrollment/{pk}/order/",
                                                 {"provider": "sandbox"}, statuses=(302,))
            self.outcome["orders"].append([wanted, round((time.perf_counter() - started) * 1000, 2),
                                           location.startswith("/sandbox-pay/gateway/")])
            if location.startswith("/sandbox-pay/gateway/"):
                self.outcome["area"] = wanted
                self.outcome["take_at"] = round(time.perf_counter() - t0, 4)
                break
            # The seats went between the area step and the order: the payment page says so.
            await self.expect("payment_page", "GET", location)
            refused.add(wanted)
            self.outcome["lost_orders"] += 1
            wanted = None
            _s, _l, page = await self.expect("area", "GET", f"/enroll/{pk}/area/")
        else:
            raise FlowError("no area with seats after the allowed attempts")

        _s, _l, body = await self.expect("gateway", "GET", location)
        match = TRADE_NO.search(body)
        if not match:
            raise FlowError("gateway: no pay form")
        _s, _l, body = await self.expect("sandbox_pay", "POST", f"/sandbox-pay/checkout/{match.group(1)}/pay/")
        match = BACK_LINK.search(body)
        if not match:
            raise FlowError("sandbox pay: no return link")
        _s, location, _b = await self.expect("return", "GET", html.unescape(match.group(1)), statuses=(302,))
        _s, _l, body = await self.expect("payment_page", "GET", location)
        if 'data-testid="paid"' in body:
            self.outcome["done_at"] = round(time.perf_counter() - t0, 4)

    @staticmethod
    def _pick_area(page: str, names: dict, refused: set, rng: random.Random) -> int:
        """Another area the page shows with seats left in every chosen sitting (figures a few seconds
        old); if the page shows none, any area not refused yet."""
        by_name = {name: int(pk) for pk, name in names.items()}
        available = [by_name[name.strip()] for grey, name in AREA_ROW.findall(page)
                     if not grey and name.strip() in by_name and by_name[name.strip()] not in refused]
        if not available:
            available = [int(pk) for pk in names if int(pk) not in refused] or [int(pk) for pk in names]
        return rng.choice(available)


# --------------------------------------------------------------------------- the lean client


class LeanClient:
    """One client coroutine of the pages and takes phases: one kept-alive connection
    (bench/rush/http1.py), requests made for whichever candidate it serves."""

    def __init__(self, base: str, stats: Stats, timeout: float):
        parts = urlsplit(base)
        self.connection = http1.Connection(parts.hostname, parts.port, timeout)
        self.stats = stats

    async def request(self, identity: Identity, label: str, method: str, path: str,
                      data: dict | None = None) -> http1.Response:
        """The answer, recorded under `label`; http1.TransportError (counted) when there is none."""
        headers = [f"{name}: {value}" for name, value in identity.headers(method, "lean").items()]
        body = b""
        if method == "POST":
            headers.append("Content-Type: application/x-www-form-urlencoded")
            body = urlencode(identity.form(data)).encode()
        reconnects = self.connection.reconnects
        started = time.perf_counter()
        try:
            response = await self.connection.request(method, path, headers, body)
        except http1.TransportError as exc:
            self.stats.transport_errors[f"{label} {exc}"[:80]] += 1
            raise
        finally:
            self.stats.retries += self.connection.reconnects - reconnects
        self.stats.record(label, response.status, started, time.perf_counter())
        http1.store_cookies(identity.cookies, response.set_cookies())
        return response

    def close(self) -> None:
        self.connection.close()


# --------------------------------------------------------------------------- phases


async def _run_pool(items, worker, clients: int, deadline: float | None):
    """`clients` coroutines take items in order until none is left or the deadline passed;
    worker(item, slot) learns which of them (0 .. clients - 1) runs it."""
    queue = collections.deque(items)
    started = 0

    async def loop(slot):
        nonlocal started
        while queue and (deadline is None or time.perf_counter() < deadline):
            item = queue.popleft()
            started += 1
            await worker(item, slot)

    await asyncio.gather(*(loop(slot) for slot in range(clients)))
    return started, len(queue)


def _emit(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _read_command() -> dict:
    """The launcher's next line on stdin."""
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("the launcher closed stdin")
    return json.loads(line)


async def _command() -> dict:
    return await asyncio.get_running_loop().run_in_executor(None, _read_command)


async def _start(phase: str) -> float:
    """Say the phase is ready, wait for the launcher's start instant; returns it (perf_counter)."""
    _emit({"event": "ready", "phase": phase})
    start_at = (await _command())["start_at"]
    await asyncio.sleep(max(0.0, start_at - time.time()))
    return time.perf_counter()


def _percentile(values: list[float], q: float) -> float | None:
    """Nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 100)) - 1))]


def _summary(stats: Stats) -> dict:
    """Per label: count, latency percentiles (ms) and statuses."""
    return {label: {"count": len(values), "p50_ms": _percentile(values, 50), "p95_ms": _percentile(values, 95),
                    "p99_ms": _percentile(values, 99), "max_ms": max(values),
                    "status": {str(k): v for k, v in sorted(stats.status[label].items())}}
            for label, values in stats.latency.items()}


def _stats_result(stats: Stats) -> dict:
    return {"labels": _summary(stats), "events": stats.events, "retries": stats.retries,
            "unexpected": dict(stats.unexpected), "transport_errors": dict(stats.transport_errors)}


async def main_async(args, plan: dict) -> dict:
    """The login and flow phases (aiohttp)."""
    base = plan["base_url"].rstrip("/")
    stats = Stats()
    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    connector = aiohttp.TCPConnector(limit=args.clients, limit_per_host=args.clients, keepalive_timeout=4)
    people = plan["candidates"][: args.candidates or None]
    async with aiohttp.ClientSession(base_url=None, connector=connector, timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=True) as http:
        browsers = [Browser(http, base, person, plan["password"], stats) for person in people]

        # 1. Logins, before the window opens.
        logged_in, login_failures = [], collections.Counter()

        async def log_in(browser, _slot):
            try:
                await browser.log_in()
                logged_in.append(browser)
            except FlowError as exc:
                login_failures[str(exc)[:80]] += 1

        started = time.perf_counter()
        _n, not_started = await _run_pool(browsers, log_in, args.clients, started + args.login_timeout)
        login_s = time.perf_counter() - started
        login_requests = sum(len(stats.latency[label]) for label in LOGIN_LABELS)
        _emit({"event": "logged_in", "logged_in": len(logged_in), "failed": sum(login_failures.values()),
               "not_started": not_started, "seconds": round(login_s, 2),
               "requests_per_s": round(login_requests / max(login_s, 1e-9), 1)})

        # 2. The launcher opens the window.
        opens_at = (await _command())["opens_at"]
        await asyncio.sleep(max(0.0, opens_at - time.time()))

        # 3. The rush.
        t0 = stats.t0 = time.perf_counter()
        deadline = t0 + args.duration
        # The plan's order (already shuffled by the seeding: hot and other first choices mixed),
        # which the launcher used to size the hot areas.
        position = {id(browser): index for index, browser in enumerate(browsers)}
        order = sorted(logged_in, key=lambda browser: position[id(browser)])
        flow_errors = collections.Counter()

        async def enroll(browser, _slot):
            try:
                await browser.enroll(plan, random.Random(browser.person["username"]), t0)
            except FlowError as exc:
                browser.outcome["error"] = str(exc)[:120]
                flow_errors[str(exc)[:80]] += 1
            except Exception as exc:  # noqa: BLE001 - a page the bench cannot read: count it, go on
                browser.outcome["error"] = f"bench: {type(exc).__name__}: {exc}"[:120]
                flow_errors[f"bench: {type(exc).__name__}"] += 1

        pool = asyncio.ensure_future(_run_pool(order, enroll, args.clients, deadline))
        try:
            started_flows, not_started = await asyncio.wait_for(asyncio.shield(pool),
                                                                timeout=args.duration + args.grace)
            cut_off = 0
        except TimeoutError:  # flows still under way after the grace: stop them
            pool.cancel()
            try:
                await pool
            except asyncio.CancelledError:
                pass
            started_flows = sum(1 for b in order if b.outcome["started_at"] is not None)
            not_started = len(order) - started_flows
            cut_off = sum(1 for b in order if b.outcome["started_at"] is not None
                          and b.outcome["done_at"] is None and b.outcome["error"] is None)
        rush_s = time.perf_counter() - t0

    return {
        "clients": args.clients, "duration_s": args.duration, "grace_s": args.grace,
        "candidates": len(people), "logged_in": len(logged_in), "login_failures": dict(login_failures),
        "login_s": login_s, "rush_s": rush_s, "flows_started": started_flows, "flows_not_started": not_started,
        "flows_cut_off": cut_off, "flow_errors": dict(flow_errors), **_stats_result(stats),
        "outcomes": [b.outcome for b in order],
    }


async def pages_phase(args, base: str, prepared: dict, people: list[dict]) -> dict:
    """`--pages-clients` clients GET the three pages of one candidate after another (cycling
    through them) for `--pages-duration` seconds; answers are checked for their page's marker."""
    stats = Stats()
    exam_id, cookie = prepared["exam_id"], prepared["session_cookie"]
    sitting_fields = [f'name="sitting_{sitting}"'.encode() for sitting in prepared["sittings"]]
    visits = []
    for person in people:
        pk = person["enrollment"]
        visits.append((Identity(base, person, {cookie: person["session"]}), (
            ("availability", f"/exams/{exam_id}/availability/", (MARKERS["availability"],)),
            ("subjects", f"/enroll/{pk}/subjects/", (MARKERS["subjects"], *sitting_fields)),
            ("area", f"/enroll/{pk}/area/", (MARKERS["area"],)))))
    marker_missing = collections.Counter()
    t0 = stats.t0 = await _start("pages")
    deadline = t0 + args.pages_duration
    tickets = iter(range(int(args.pages_duration * 20_000)))  # shared by the clients: a bound by count too

    async def client():
        lean = LeanClient(base, stats, args.request_timeout)
        failures = 0
        try:
            for ticket in tickets:
                identity, pages = visits[ticket % len(visits)]
                for label, path, markers in pages:
                    if time.perf_counter() >= deadline or failures >= MAX_TRANSPORT_FAILURES:
                        return
                    try:
                        response = await lean.request(identity, label, "GET", path)
                    except http1.TransportError:
                        failures += 1
                        continue
                    failures = 0
                    if response.status == 200 and not all(marker in response.body for marker in markers):
                        marker_missing[label] += 1
        finally:
            lean.close()

    await asyncio.gather(*(client() for _ in range(args.pages_clients)))
    return {"clients": args.pages_clients, "planned_s": args.pages_duration, "duration_s": time.perf_counter() - t0,
            "candidates": len(people), "marker_missing": dict(marker_missing), **_stats_result(stats)}


async def takes_phase(args, base: str, prepared: dict, people: list[dict]) -> dict:
    """Each candidate's payment page first (not counted: it sets the csrftoken cookie), then at one
    instant `--takes-clients` clients POST the orders, one per candidate, until all had their try."""
    warm, stats = Stats(), Stats()
    cookie, csrf_cookie = prepared["session_cookie"], prepared["csrf_cookie"]
    candidates = [(index, Identity(base, person, {cookie: person["session"]}, csrf_cookie))
                  for index, person in enumerate(people)]
    clients = [LeanClient(base, warm, args.request_timeout) for _ in range(args.takes_clients)]
    ready, not_ready = [], collections.Counter()

    async def warm_up(item, slot):
        _index, identity = item
        pk = identity.person["enrollment"]
        try:
            response = await clients[slot].request(identity, "payment_page", "GET", f"/pay/enrollment/{pk}/")
        except http1.TransportError as exc:
            not_ready[f"payment page: {exc}"[:80]] += 1
            return
        if response.status != 200:
            not_ready[f"payment page: HTTP {response.status}"] += 1
        elif f'action="/pay/enrollment/{pk}/order/"'.encode() not in response.body:
            not_ready["payment page without the pay form"] += 1
        elif csrf_cookie not in identity.cookies:
            not_ready["no CSRF cookie after the payment page"] += 1
        else:
            ready.append(item)

    started = time.perf_counter()
    _n, warm_skipped = await _run_pool(candidates, warm_up, args.takes_clients, started + args.takes_timeout)
    warm_s = time.perf_counter() - started
    ready.sort(key=lambda item: item[0])  # the plan's order
    attempts = []
    for lean in clients:
        lean.stats = stats
    t0 = stats.t0 = await _start("takes")

    async def take(item, slot):
        _index, identity = item
        person, pk = identity.person, identity.person["enrollment"]
        started = time.perf_counter()
        try:
            response = await clients[slot].request(identity, "order_post", "POST", f"/pay/enrollment/{pk}/order/",
                                                   {"provider": "sandbox"})
            status, location = response.status, _local(response.header("location"))
        except http1.TransportError:
            status, location = None, ""
        ended = time.perf_counter()
        if status == 302 and location.startswith("/sandbox-pay/gateway/"):
            outcome = "take"
        elif status == 302 and location == f"/pay/enrollment/{pk}/":
            outcome = "refused"  # the seats are gone: back to the payment page, which says so
        else:
            outcome = "transport error" if status is None else f"HTTP {status} to {location[:40] or '-'}"
        attempts.append([person["username"], person["area"], len(person["choices"]), round(started - t0, 5),
                         round(ended - t0, 5), status, outcome])

    try:
        attempted, not_attempted = await _run_pool(ready, take, args.takes_clients, t0 + args.takes_timeout)
    finally:
        for lean in clients:
            lean.close()
    return {"clients": args.takes_clients, "candidates": len(people),
            "warmup": {"seconds": warm_s, "ready": len(ready), "not_ready": dict(not_ready),
                       "not_started": warm_skipped, **_stats_result(warm)},
            "burst_s": time.perf_counter() - t0, "attempted": attempted, "not_attempted": not_attempted,
            "attempts": attempts, **_stats_result(stats)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--candidates", type=int, default=0, help="use only the first N of the plan (0: all)")
    parser.add_argument("--duration", type=float, default=40.0, help="no new candidate starts after this (s)")
    parser.add_argument("--grace", type=float, default=10.0, help="time for flows under way to finish (s)")
    parser.add_argument("--login-timeout", type=float, default=15.0,
                        help="candidates not logged in by then stay out of the rush (s)")
    parser.add_argument("--pages-clients", type=int, default=64)
    parser.add_argument("--pages-duration", type=float, default=20.0)
    parser.add_argument("--takes-clients", type=int, default=64)
    parser.add_argument("--takes-timeout", type=float, default=60.0,
                        help="bound of the takes phase's warm-up and, apart, of its burst (s)")
    parser.add_argument("--request-timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    with open(args.plan, encoding="utf-8") as handle:
        plan = json.load(handle)
    result = asyncio.run(main_async(args, plan))
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    _emit({"event": "done", "phase": "flow", "rush_s": round(result["rush_s"], 2)})

    # The pages and takes phases, for the candidates the launcher prepared (if it did).
    prepared_path = _read_command().get("prepared")
    if not prepared_path:
        return 0
    gc.collect()
    gc.freeze()  # the flow's results stay in memory: later collections need not walk them again
    with open(prepared_path, encoding="utf-8") as handle:
        prepared = json.load(handle)
    for phase, run in (("pages", pages_phase), ("takes", takes_phase)):
        spec = prepared.get(phase)
        if not spec:
            continue
        result = asyncio.run(run(args, plan["base_url"].rstrip("/"), prepared, spec["people"]))
        with open(spec["out"], "w", encoding="utf-8") as handle:
            json.dump(result, handle)
        _emit({"event": "done", "phase": phase})
    return 0


if __name__ == "__main__":
    sys.exit(main())
