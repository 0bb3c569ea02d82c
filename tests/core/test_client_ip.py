"""The client address behind reverse proxies (docs/operations.md): the TRUSTED_PROXY_COUNT-th
X-Forwarded-For entry from the right, whether the proxy overwrites the header or appends to it."""
import pytest
from django.test import RequestFactory

from accounts.adapter import AccountAdapter
from core.http import client_ip

PEER = "10.0.0.2"  # the proxy, as the application sees it


def request_with(forwarded=None):
    headers = {"REMOTE_ADDR": PEER}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.fixture
def behind(settings):
    def configure(proxies):
        settings.TRUST_X_FORWARDED_FOR = True
        settings.TRUSTED_PROXY_COUNT = proxies
    return configure


def test_without_trust_the_header_is_ignored(settings):
    settings.TRUST_X_FORWARDED_FOR = False
    assert client_ip(request_with("203.0.113.9")) == PEER


def test_one_proxy_that_overwrites_the_header(behind):
    behind(1)
    assert client_ip(request_with("203.0.113.9")) == "203.0.113.9"


def test_one_proxy_that_appends_to_a_header_the_client_forged(behind):
    """nginx's $proxy_add_x_forwarded_for keeps what the client sent and appends the real address:
    the first entry is the client's choice, the last one is not."""
    behind(1)
    assert client_ip(request_with("1.1.1.1, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request_with("1.1.1.1,2.2.2.2,,203.0.113.9")) == "203.0.113.9"


def test_two_proxies_take_the_second_entry_from_the_right(behind):
    behind(2)  # e.g. a CDN or load balancer, then our nginx
    assert client_ip(request_with("1.1.1.1, 203.0.113.9, 192.0.2.50")) == "203.0.113.9"
    assert client_ip(request_with("203.0.113.9, 192.0.2.50")) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", [None, "", "203.0.113.9"])
def test_fewer_entries_than_proxies_give_the_peer_address(behind, forwarded):
    behind(2)
    assert client_ip(request_with(forwarded)) == PEER


@pytest.mark.parametrize("forwarded", ["unknown", "203.0.113.9:4711", "<script>"])
def test_an_entry_that_is_not_an_address_gives_the_peer_address(behind, forwarded):
    """Stored in an inet column, such a value would fail the whole login with a server error."""
    behind(1)
    assert client_ip(request_with(forwarded)) == PEER


def test_ipv6_entries_are_kept(behind):
    behind(1)
    assert client_ip(request_with("2001:db8::1")) == "2001:db8::1"


def test_allauth_rate_limits_see_the_same_address(behind):
    behind(1)
    assert AccountAdapter().get_client_ip(request_with("1.1.1.1, 203.0.113.9")) == "203.0.113.9"
