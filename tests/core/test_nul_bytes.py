"""A NUL character anywhere a visitor can put one answers 400, never a database error (issue 12, item 7).
The same requests answered 500 on PostgreSQL (DataError) before."""
import pytest
from django.urls import reverse

from tests.registration.conftest import candidate
from tests.staff.conftest import staff_user

__all__ = ["candidate"]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", [
    "/sandbox-pay/checkout/%00/back/",
    "/sandbox-pay/checkout/%00/pay/",
    "/pay/orders/%00/go/",
    "/pay/orders/%00/check/",
    "/pay/orders/%00/return/",
    "/pay/orders/%00/cancel/",
    "/pay/orders/x%00y/go/",
])
def test_nul_in_the_path_is_refused(client, candidate, path):
    client.force_login(candidate)
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_nul_in_an_admin_filter_is_refused(client):
    client.force_login(staff_user("boss", superuser=True))
    response = client.get(reverse("admin:payments_order_changelist"), {"status__exact": "\x00"})
    assert response.status_code == 400
    response = client.get(reverse("admin:payments_order_changelist") + "?q=%00abc")
    assert response.status_code == 400


def test_nul_in_a_form_field_is_refused(client):
    response = client.post(reverse("account_login"), {"login": "lilei\x00", "password": "x"})
    assert response.status_code == 400
    response = client.post(reverse("payments:notify", args=["sandbox"]), {"out_trade_no": "\x00"})
    assert response.status_code == 400


def test_the_message_is_chinese(client):
    assert "不允许" in client.get("/pay/orders/%00/go/").content.decode()


def test_ordinary_requests_pass(client):
    assert client.get(reverse("account_login"), {"next": "/enroll/"}).status_code == 200
