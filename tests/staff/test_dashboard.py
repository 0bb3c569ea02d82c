"""Dashboard (F3): registrations, payments, revenue (exact decimals), refunds and seats left per area
and sitting, from real orders paid and refunded through the sandbox platform."""
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from exams.models import Area, SeatQuota
from payments import services as payments
from registration import services
from tests.payments.conftest import signed_notification
from tests.staff.conftest import make_candidate, walk

pytestmark = pytest.mark.django_db


def paid(enrollment, on_commit):
    order = payments.order_create(enrollment=enrollment, actor=enrollment.candidate, provider="sandbox")
    with on_commit():
        payments.payment_notify(provider="sandbox", data=signed_notification(order))
    order.refresh_from_db()
    assert order.status == "paid"
    enrollment.refresh_from_db()
    return order


@pytest.fixture
def books(exam, sittings, on_commit):
    """济南: three paid (160.00 each; one with GB only, 80.00), one paid then refunded, one unpaid
    order; 北京: one paid; 青岛: one draft; one withdrawn."""
    jinan, beijing, qingdao = (Area.objects.get(name=n) for n in ("济南", "北京", "青岛"))
    for name, second in (("甲", "QMS"), ("乙", "EMS"), ("丙", None)):
        paid(walk(make_candidate(name), exam, sittings, jinan, second=second), on_commit)
    paid(walk(make_candidate("丁"), exam, sittings, beijing), on_commit)
    refunded = walk(make_candidate("戊"), exam, sittings, jinan)
    paid(refunded, on_commit)
    with on_commit():
        payments.refund_request(enrollment=refunded, actor=refunded.candidate)
    unpaid = walk(make_candidate("己"), exam, sittings, jinan)
    payments.order_create(enrollment=unpaid, actor=unpaid.candidate, provider="sandbox")
    draft = make_candidate("庚")
    services.enrollment_start(candidate=draft, exam=exam)
    withdrawn = walk(make_candidate("辛"), exam, sittings, qingdao)
    services.enrollment_withdraw(enrollment=withdrawn, actor=withdrawn.candidate)
    return exam


def test_figures_match_the_orders_refunds_and_quotas(books, exam_admin, client):
    client.force_login(exam_admin)
    response = client.get(reverse("staff:dashboard"), {"exam": books.pk})
    assert response.status_code == 200
    ctx = response.context

    assert ctx["registrations"] == 7  # everything but the withdrawn one
    assert ctx["paid"] == 4
    assert ctx["unpaid_orders"] == 1
    # Every order here went through the sandbox: 160 × 3 + 80 paid, none of it money.
    assert isinstance(ctx["test_revenue"], Decimal) and ctx["test_revenue"] == Decimal("560.00")
    assert ctx["test_orders"] == 4 and ctx["revenue"] == Decimal("0.00")
    assert (ctx["refund_count"], ctx["refund_total"]) == (1, Decimal("160.00"))
    assert isinstance(ctx["refund_total"], Decimal)
    assert dict(ctx["by_status"]) == {label: n for label, n in ctx["by_status"]}
    assert sum(n for _label, n in ctx["by_status"]) == 7
    assert {s["subject__name"]: s["n"] for s in ctx["subjects"]} == {
        "认证通用基础": 4, "QMS 基础知识": 2, "EMS 基础知识": 1}

    quotas = {(q.area.name, q.sitting_id): q for q in SeatQuota.objects.filter(exam=books).select_related("area")}
    shown = {(area.name, row["sitting"].pk): row for area, rows in ctx["areas"] for row in rows}
    assert shown.keys() == quotas.keys()
    for key, row in shown.items():
        q = quotas[key]
        assert (row["capacity"], row["held"], row["sold"], row["left"]) == (q.capacity, q.held, q.sold,
                                                                            q.capacity - q.held - q.sold), key
    first, second = (s.pk for s in books.sittings.order_by("starts_at"))
    # 济南: 甲, 乙, 丙 sold; 己 holds; 戊's seats went back with the refund.
    assert (shown[("济南", first)]["sold"], shown[("济南", first)]["held"], shown[("济南", first)]["left"]) == (3, 1, 116)
    assert (shown[("济南", second)]["sold"], shown[("济南", second)]["held"], shown[("济南", second)]["left"]) == (2, 1, 97)
    assert (shown[("北京", first)]["left"], shown[("北京", second)]["left"]) == (4, 2)

    page = response.content.decode()
    assert 'data-testid="kpi-registrations">7<' in page
    assert 'data-testid="kpi-paid">4<' in page
    assert re.search(r'data-testid="kpi-test-orders">4 · 560(\.00)?<', page)


def test_money_is_shown_with_two_decimals(books, exam_admin, client):
    client.force_login(exam_admin)
    response = client.get(reverse("staff:dashboard"), {"exam": books.pk})
    page = response.content.decode()
    assert 'data-testid="kpi-revenue">0.00<' in page
    assert 'data-testid="kpi-test-orders">4 · 560.00<' in page
    assert "1 · 160.00" in page


def test_revenue_counts_real_payments_and_test_orders_apart(books, sittings, exam_admin, client, settings, on_commit):
    """An order paid through a real platform is revenue; the sandbox's are shown apart, as test orders."""
    settings.ALIPAY = {**settings.ALIPAY, "app_id": "2021000000000001"}
    enrollment = walk(make_candidate("壬"), books, sittings, Area.objects.get(name="北京"))
    order = payments.order_create(enrollment=enrollment, actor=enrollment.candidate, provider="alipay")
    with on_commit():
        payments.payment_record(provider="alipay", trade_no="2026120222001404010500000001",
                                order_number=order.number, amount=order.amount, source="notify")
    client.force_login(exam_admin)
    response = client.get(reverse("staff:dashboard"), {"exam": books.pk})
    assert response.context["revenue"] == order.amount
    assert (response.context["test_orders"], response.context["test_revenue"]) == (4, Decimal("560.00"))
    page = response.content.decode()
    assert f'data-testid="kpi-revenue">{order.amount:.2f}<' in page


def test_the_page_is_for_staff_only(books, client):
    url = reverse("staff:dashboard")
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(make_candidate("访客"))
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_newest_exam_is_shown_without_a_choice(books, exam_admin, client):
    client.force_login(exam_admin)
    response = client.get(reverse("staff:dashboard"))
    assert response.status_code == 200 and response.context["exam"] == books
    assert client.get(reverse("staff:dashboard"), {"exam": "999999"}).status_code == 404
