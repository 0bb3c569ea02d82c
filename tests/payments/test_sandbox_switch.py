"""The sandbox platform moves no money (issue 12, items 1 and 10): while it is on every page says so
and its orders are marked as test orders (admin, invoice export, roster, dashboard); switched off, it
is gone: not offered, its pages answer 404 and its notifications are refused. A signed notification
whose amount is not a number is refused like any bad notification."""
import csv
import io

import pytest
from django.urls import reverse

from payments import providers, services
from payments.models import Invoice, Order, Payment
from tests.payments.conftest import (
    ENTERPRISE,
    confirmed_enrollment,
    counts,
    resigned,
    sandbox_transaction,
    signed_notification,
)
from tests.staff.conftest import staff_user as make_staff_user

pytestmark = pytest.mark.django_db
NOTIFY = reverse("payments:notify", args=["sandbox"])
BANNER = 'data-testid="sandbox-banner"'


@pytest.fixture
def staff_user(db):
    return make_staff_user("finance", groups=["association_staff"])


def test_every_page_says_test_payments_while_the_sandbox_is_on(client, candidate, staff_user, settings):
    settings.PAYMENT_SANDBOX_ENABLED = True
    assert BANNER in client.get(reverse("home")).content.decode()
    assert "没有真实资金往来" in client.get(reverse("account_login")).content.decode()
    client.force_login(candidate)
    assert BANNER in client.get(reverse("accounts:home"), follow=True).content.decode()
    client.force_login(staff_user)
    assert BANNER in client.get(reverse("admin:index")).content.decode()
    assert BANNER in client.get(reverse("staff:dashboard")).content.decode()


def test_no_banner_and_no_sandbox_when_it_is_off(client, candidate, staff_user, order, settings):
    settings.PAYMENT_SANDBOX_ENABLED = False
    assert BANNER not in client.get(reverse("home")).content.decode()
    client.force_login(staff_user)
    assert BANNER not in client.get(reverse("admin:index")).content.decode()
    assert providers.enabled() == []
    client.force_login(candidate)
    page = client.get(reverse("payments:payment-page", args=[order.enrollment.pk])).content.decode()
    assert "沙箱" not in page and 'value="sandbox"' not in page


def test_switched_off_the_platform_pages_are_gone_and_its_notifications_refused(client, order, settings, exam, area):
    data = signed_notification(order)  # paid on the platform while it was still on
    txn = sandbox_transaction(order)
    settings.PAYMENT_SANDBOX_ENABLED = False
    assert client.get(reverse("paysandbox:gateway")).status_code == 404
    assert client.get(reverse("paysandbox:back", args=[txn.trade_no])).status_code == 404
    assert client.post(reverse("paysandbox:pay", args=[txn.trade_no])).status_code == 404
    assert client.post(reverse("paysandbox:query"), {"out_trade_no": order.number}).status_code == 404
    response = client.post(NOTIFY, data)
    assert response.status_code == 400 and response.content == b"fail"
    order.refresh_from_db()
    assert order.status == "pending" and not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", "-160.00", "160.001", "1e400"])
def test_a_signed_notification_with_a_nonsense_amount_is_refused_with_fail(client, order, exam, area, amount):
    response = client.post(NOTIFY, signed_notification(order, total_amount=amount))
    assert response.status_code == 400 and response.content == b"fail"
    order.refresh_from_db()
    assert order.status == "pending" and not Payment.objects.exists()
    assert counts(exam, area) == [(1, 0), (1, 0)]
    # the genuine notification still credits it afterwards
    assert client.post(NOTIFY, resigned(signed_notification(order))).status_code == 200
    order.refresh_from_db()
    assert order.status == "paid"


def test_sandbox_orders_are_marked_as_test_orders_in_admin_and_invoice_export(
        client, candidate, exam, sittings, area, staff_user, on_commit):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area, **ENTERPRISE)
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    with on_commit():
        services.payment_notify(provider="sandbox", data=signed_notification(order))
    order.refresh_from_db()
    assert order.status == "paid" and order.is_test
    client.force_login(staff_user)
    changelist = client.get(reverse("admin:payments_order_changelist")).content.decode()
    assert "测试订单" in changelist and 'alt="True"' in changelist
    detail = client.get(reverse("admin:payments_order_change", args=[order.pk])).content.decode()
    assert "测试订单" in detail
    [invoice] = Invoice.objects.filter(order=order)
    response = client.post(reverse("admin:payments_invoice_changelist"),
                           {"action": "export_csv", "index": "0", "_selected_action": [invoice.pk]})
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][-1] == "测试订单" and table[1][-1] == "是"


def test_an_order_of_a_real_platform_is_not_a_test_order(order):
    Order.objects.filter(pk=order.pk).update(provider="alipay")
    order.refresh_from_db()
    assert not order.is_test
