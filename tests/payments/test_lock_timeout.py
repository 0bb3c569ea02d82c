"""Locks that give up: while another transaction keeps a quota row locked longer than the lock
timeout, a seat take answers 系统繁忙，请稍后再试 and changes nothing, instead of queueing without
bound behind it. Needs PostgreSQL (real row locks, a second connection in a thread)."""
import threading
import time
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation

from exams import services as exam_services
from exams.exceptions import SeatsBusy
from exams.models import SeatQuota
from payments import services
from payments.models import Order
from tests.payments.conftest import counts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BUSY = "系统繁忙，请稍后再试。"


@contextmanager
def quota_rows_held_elsewhere(quota_ids):
    """Another connection (a thread) holds the quota rows with SELECT … FOR UPDATE until the block ends."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                list(SeatQuota.objects.select_for_update().filter(pk__in=quota_ids))
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10), "the other connection never got the lock"
        yield
    finally:
        release.set()
        holder.join(timeout=30)


def quota_ids(exam, area) -> list[int]:
    return list(SeatQuota.objects.filter(exam=exam, area=area).values_list("pk", flat=True))


def test_a_seat_take_behind_a_held_quota_row_gives_up_within_the_timeout(enrollment, candidate, exam, area):
    before = counts(exam, area)
    with quota_rows_held_elsewhere(quota_ids(exam, area)):
        started = time.monotonic()
        with pytest.raises(SeatsBusy) as busy:
            services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
        waited = time.monotonic() - started
    assert 2.5 <= waited < 6, waited  # LOCK_TIMEOUT is 3 s
    with translation.override("zh-hans"):
        assert str(busy.value) == BUSY
    # Nothing of the order is left: no order, the enrollment still confirmed, the seats untouched.
    assert not Order.objects.filter(enrollment=enrollment).exists()
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    assert counts(exam, area) == before
    # Once the rows are free the same take goes through.
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    assert order.status == "pending" and counts(exam, area) == [(held + 1, sold) for held, sold in before]


def test_the_candidate_is_told_the_system_is_busy_not_shown_an_error_page(logged_in, enrollment, exam, area):
    with quota_rows_held_elsewhere(quota_ids(exam, area)):
        response = logged_in.post(reverse("payments:order-create", args=[enrollment.pk]), {"provider": "sandbox"},
                                  follow=True)
    assert response.redirect_chain[0] == (reverse("payments:payment-page", args=[enrollment.pk]), 302)
    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == [BUSY]
    assert not Order.objects.filter(enrollment=enrollment).exists()


def test_every_seat_change_gives_up_the_same_way(exam, area, monkeypatch):
    """Give back, sell and move set the same limit as the take (exams.services); shortened here."""
    monkeypatch.setattr(exam_services, "LOCK_TIMEOUT", "300ms")
    ids = quota_ids(exam, area)
    exam_services.seats_take(quota_ids=ids)
    other = list(SeatQuota.objects.filter(exam=exam).exclude(area=area).order_by("area_id", "sitting_id")
                 .values_list("pk", flat=True)[:len(ids)])
    calls = {"give back": lambda: exam_services.seats_give_back(quota_ids=ids),
             "sell": lambda: exam_services.seats_sell(quota_ids=ids),
             "move": lambda: exam_services.seats_move(from_quota_ids=ids, to_quota_ids=other, state="held")}
    with quota_rows_held_elsewhere(ids):
        for name, call in calls.items():
            with pytest.raises(SeatsBusy):
                call()
    assert [quota.held for quota in SeatQuota.objects.filter(pk__in=ids)] == [1] * len(ids)
