"""Redis stops in the middle of a candidate's visit and comes back (SPEC I3).

A real redis-server of the test's own, on a free port, holds the cache and the sessions (and, in
the last two tests, the Celery broker); the test stops it with the candidate logged in and starts
it again on the same port. While it is down: the seats figures come from the database, the logged-in
candidate stays logged in, sign-up goes on, and a login answers the clear 503 page with
Retry-After instead of a 500. Once it is back the session is still there. redis-server is needed:
without it these tests fail (CI has it)."""
import re
import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.test import Client
from django.urls import reverse

from accounts.models import VerificationCode
from config.celery import app as celery_app
from exams import availability, demo
from exams import services as exam_services
from exams.models import Area, SeatQuota, Sitting
from tests.accounts.factories import PASSWORD, EducationFactory, UserFactory
from tests.exams.factories import small_exam
from tests.photos.factories import approved_photo
from tests.registration.test_enrollment_views import url, walk_to_area

pytestmark = pytest.mark.django_db

BUSY = "系统繁忙，请稍后再试"


class RedisServer:
    """A private redis-server without persistence: stopping it loses everything it held."""

    def __init__(self, directory):
        self.executable = shutil.which("redis-server")
        if self.executable is None:
            pytest.fail("redis-server is not installed (Debian: apt-get install redis-server)")
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert self.process.poll() is None, f"redis-server exited with {self.process.returncode}"
                assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
                time.sleep(0.05)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def keys(self) -> list[bytes]:
        return redis.Redis(port=self.port).keys("*")


@pytest.fixture
def private_redis(tmp_path, settings):
    """Cache and sessions in a private Redis, configured as config/settings/base.py does with REDIS_URL."""
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": server.url, "KEY_PREFIX": "outage-test",
                    "OPTIONS": settings.REDIS_CACHE_OPTIONS},
        "local": settings.CACHES["local"],
    }
    settings.SESSION_ENGINE = "core.sessions"
    yield server
    server.stop()


def login(client, username):
    return client.post(reverse("account_login"), {
        "login": username, "password": PASSWORD, "captcha_0": "k", "captcha_1": "PASSED", "entry": "individual"})


def seats_on_the_seats_page(client, exam, area: Area) -> list[str]:
    """The figures in one area's row of the seats page, as a candidate reads them."""
    response = client.get(reverse("exams:availability", args=[exam.pk]))
    assert response.status_code == 200
    row = re.search(rf'<tr data-area="{area.pk}">(.*?)</tr>', response.content.decode(), re.DOTALL)
    return re.findall(r"<td>(.*?)</td>", row.group(1))


def seats_on_the_area_step(client, enrollment, area: Area) -> list[str]:
    response = client.get(url("area", enrollment))
    assert response.status_code == 200
    row = re.search(rf"<td>{area.name}</td>(.*?)</tr>", response.content.decode(), re.DOTALL)
    return re.findall(r"<td>(.*?)</td>", row.group(1))


def logged_in_as(client, user) -> bool:
    response = client.get(reverse("accounts:profile"))
    return response.status_code == 200 and user.name in response.content.decode()


def test_a_redis_outage_keeps_candidates_logged_in_and_shows_seats_from_the_database(private_redis):
    exam = demo.seed()
    sittings = list(Sitting.objects.filter(exam=exam).order_by("starts_at"))
    area = Area.objects.get(name="济南")
    quota = SeatQuota.objects.get(exam=exam, area=area, sitting=sittings[0])
    user = UserFactory(name="李雷")
    EducationFactory(user=user)
    approved_photo(user)

    candidate = Client()
    assert login(candidate, user.username).status_code == 302
    enrollment = walk_to_area(candidate, exam, sittings)
    before = seats_on_the_seats_page(candidate, exam, area)
    assert seats_on_the_area_step(candidate, enrollment, area) == before
    assert private_redis.keys(), "the figures and the session should be in Redis now"

    private_redis.stop()
    # A seat is sold meanwhile: the pages show the database's figure, not an error nor the old one.
    SeatQuota.objects.filter(pk=quota.pk).update(sold=quota.sold + 1)
    now_left = str(quota.capacity - quota.held - quota.sold - 1)
    assert seats_on_the_seats_page(candidate, exam, area)[0] == now_left
    assert seats_on_the_area_step(candidate, enrollment, area)[0] == now_left
    assert logged_in_as(candidate, user)

    visitor = Client()
    assert visitor.get(reverse("account_login")).status_code == 200
    response = login(visitor, user.username)
    assert response.status_code == 503
    assert BUSY in response.content.decode()
    assert int(response["Retry-After"]) > 0
    # Sign-up keeps its steps in the session, which the database now holds alone.
    assert visitor.post(reverse("accounts:signup-agreement"), {"accept": "1"}).url == reverse("accounts:signup-notice")
    assert visitor.get(reverse("accounts:signup-notice")).status_code == 200

    private_redis.start()  # empty: it kept nothing
    assert logged_in_as(candidate, user)
    assert seats_on_the_seats_page(candidate, exam, area)[0] == now_left
    assert visitor.get(reverse("accounts:signup-notice")).status_code == 200
    assert login(visitor, user.username).status_code == 302
    assert logged_in_as(visitor, user)


def test_the_busy_page_is_in_english_for_an_english_visitor(private_redis):
    user = UserFactory()
    private_redis.stop()
    visitor = Client(headers={"accept-language": "en"})
    response = login(visitor, user.username)
    assert response.status_code == 503 and response["Retry-After"]
    page = response.content.decode()
    assert "The system is busy, please try again later" in page and BUSY not in page


@pytest.fixture
def broker_in_private_redis(private_redis, monkeypatch):
    """Tasks published to the private Redis, as production publishes to its one Redis."""
    celery_app.pool  # noqa: B018 -- the usual broker's pool exists before the test points elsewhere
    monkeypatch.setitem(celery_app.conf, "broker_url", private_redis.url)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.delattr(celery_app, "amqp")  # a fresh producer pool for this broker; the old one comes back after
    return private_redis


@pytest.mark.django_db(transaction=True)  # the work is queued when the page's transaction really commits
def test_work_queued_while_the_broker_is_down_does_not_break_the_page(broker_in_private_redis, caplog):
    """The code is committed, the page answers as usual; the lost message is logged (the candidate
    asks for a new code once the resend interval is over)."""
    user = UserFactory(name="韩梅梅")
    candidate = Client()
    assert login(candidate, user.username).status_code == 302
    broker_in_private_redis.stop()

    response = candidate.post(reverse("accounts:mobile-change"), {"mobile": "13700001234", "action": "send"})
    assert response.status_code == 200
    assert "137****1234" in response.content.decode()
    assert VerificationCode.objects.filter(address="13700001234").exists()
    lost = [r for r in caplog.records if getattr(r, "task", None) == "accounts.deliver_message"]
    assert lost and lost[0].levelname == "ERROR"


@pytest.mark.django_db(transaction=True)
def test_a_seat_taken_while_redis_is_down_is_taken_and_shown(broker_in_private_redis):
    """The database decides the seat; refreshing the cached figures after the commit gives up
    quietly, and the figures shown come from the database until Redis is back."""
    built = small_exam(capacity=5)
    cell = (built.areas[0].pk, built.sittings[0].pk)
    assert availability.seats_left(built.exam.pk)[cell] == 5
    broker_in_private_redis.stop()
    exam_services.seats_take(quota_ids=[built.quotas[(0, 0)].pk])
    assert built.quota(0, 0).held == 1
    assert availability.seats_left(built.exam.pk)[cell] == 4
