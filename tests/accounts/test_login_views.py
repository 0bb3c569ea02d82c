"""Login by username, e-mail or mobile with a picture code; lockout; institution entry; idle timeout."""
import datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuthFailure, Institution, UserKind
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, login_name, password=PASSWORD, entry="individual", captcha="PASSED", url=None):
    return client.post(url or reverse("account_login"), {
        "login": login_name, "password": password, "captcha_0": "k", "captcha_1": captcha, "entry": entry})


def logged_in(client):
    return client.get(reverse("accounts:profile")).status_code == 200


@pytest.mark.parametrize("identifier", ["li01", "LI01", "li01@example.org", "13911112222"])
def test_login_by_username_email_or_mobile(client, identifier):
    UserFactory(username="li01", email="li01@example.org", mobile="13911112222")
    response = login(client, identifier)
    assert response.status_code == 302
    assert logged_in(client)


def test_wrong_password_is_refused_with_a_message(client):
    UserFactory(username="li01")
    response = login(client, "li01", "wrong-password")
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not logged_in(client)


def test_missing_or_wrong_picture_code_tries_no_password(client):
    UserFactory(username="li01")
    response = login(client, "li01", captcha="nope")
    assert "captcha" in response.context["form"].errors
    assert not logged_in(client)
    assert AuthFailure.objects.count() == 0


def test_five_failures_lock_the_account_for_fifteen_minutes(client):
    UserFactory(username="li01")
    with time_machine.travel(datetime.datetime(2026, 3, 14, 4, 0, tzinfo=datetime.UTC), tick=False) as clock:
        for _ in range(5):
            login(client, "li01", "wrong-password")
        response = login(client, "li01")  # the right password, but locked
        assert response.status_code == 200
        assert "15" in str(response.context["form"].non_field_errors())
        assert not logged_in(client)
        clock.shift(datetime.timedelta(minutes=14))
        assert login(client, "li01").status_code == 200
        clock.shift(datetime.timedelta(minutes=2))
        assert login(client, "li01").status_code == 302
        assert logged_in(client)


def test_lock_counts_failures_through_any_login_name(client):
    UserFactory(username="li01", email="li01@example.org", mobile="13911112222")
    for name in ["li01", "li01@example.org", "13911112222", "LI01", "li01"]:
        login(client, name, "wrong-password")
    assert login(client, "li01@example.org").status_code == 200


def test_failures_on_other_accounts_from_one_address_do_not_refuse_a_right_password(client):
    """Issue 12.3: behind one NAT or our reverse proxy, five wrong passwords used to lock everyone out."""
    users = UserFactory.create_batch(5)
    for user in users:
        login(client, user.username, "wrong-password")
    other = UserFactory()
    other_client = client.__class__()  # another person behind the same address (127.0.0.1)
    assert login(other_client, other.username).status_code == 302
    assert logged_in(other_client)


def test_five_failures_on_a_login_name_without_an_account_lock_it_like_an_account(client):
    """The lock message must not tell which login names belong to an account."""
    for _ in range(5):
        login(client, "ghost01", "wrong-password")
    response = login(client.__class__(REMOTE_ADDR="10.9.9.9"), "GHOST01", "wrong-password")
    assert "15" in str(response.context["form"].non_field_errors())


def test_throttled_address_is_asked_for_the_picture_code_again_and_a_right_password_logs_in(client, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for user in UserFactory.create_batch(6):
        login(client, user.username, "wrong-password")
    assert AuthFailure.objects.count() == 6
    other = UserFactory()
    other_client = client.__class__()

    response = login(other_client, other.username)

    assert response.status_code == 200
    assert "请输入新图片中的字符后继续" in str(response.context["form"].errors["captcha"])  # type the new picture
    assert AuthFailure.objects.count() == 6  # no password was tried
    assert login(other_client, other.username).status_code == 302
    assert logged_in(other_client)


def test_throttled_address_needs_two_picture_codes_for_each_wrong_password(client, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    for user in UserFactory.create_batch(2):
        login(client, user.username, "wrong-password")
    target = UserFactory()
    for expected in (2, 3, 3, 4):
        login(client, target.username, "wrong-password")
        assert AuthFailure.objects.count() == expected


def test_failures_are_recorded_with_the_address_before_our_proxy(client, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="li01")
    # The client forged a first entry; our proxy appended the address it saw.
    client.post(reverse("account_login"), {
        "login": "li01", "password": "wrong", "captcha_0": "k", "captcha_1": "PASSED", "entry": "individual"},
        HTTP_X_FORWARDED_FOR="10.0.0.1, 198.51.100.23")
    assert AuthFailure.objects.get().ip_address == "198.51.100.23"


def test_institution_and_individual_entries_are_separate(client):
    institution = Institution.objects.create(name="测试机构", credit_code="91350100M000100Y43", kind="certification_body",
                                             province="35")
    UserFactory(username="org01", kind=UserKind.INSTITUTION, institution=institution)
    UserFactory(username="person01")
    response = login(client, "org01")
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    response = login(client, "person01", entry="institution", url=reverse("accounts:login-institution"))
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert login(client, "org01", entry="institution", url=reverse("accounts:login-institution")).status_code == 302


def test_tampered_entry_value_is_refused(client):
    UserFactory(username="li01")
    response = login(client, "li01", entry="superuser")
    assert "entry" in response.context["form"].errors and not logged_in(client)


def test_session_ends_after_thirty_idle_minutes(client, settings):
    # Expiry in the database store; with Redis the cache TTL enforces the same age (next test).
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    UserFactory(username="li01")
    with time_machine.travel(datetime.datetime(2026, 3, 14, 4, 0, tzinfo=datetime.UTC), tick=False) as clock:
        login(client, "li01")
        clock.shift(datetime.timedelta(minutes=29))
        assert logged_in(client)  # activity renews the session
        clock.shift(datetime.timedelta(minutes=29))
        assert logged_in(client)
        clock.shift(datetime.timedelta(minutes=31))
        assert not logged_in(client)


def test_logout(client):
    UserFactory(username="li01")
    login(client, "li01")
    client.post(reverse("account_logout"))
    assert not logged_in(client)


def test_admin_login_goes_through_the_site_login_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


@pytest.mark.redis
def test_redis_session_lives_thirty_minutes_and_activity_renews_it(client, settings):
    """The database row carries the 30 minutes; Redis keeps a copy for two renewal intervals."""
    import redis
    from django.contrib.sessions.models import Session
    from django.core.cache import cache
    from django.utils import timezone

    assert settings.SESSION_ENGINE == "core.sessions"
    UserFactory(username="li01")
    with time_machine.travel(datetime.datetime(2026, 3, 14, 4, 0, tzinfo=datetime.UTC), tick=False) as clock:
        login(client, "li01")
        session_key = client.session.session_key
        copy = cache.make_and_validate_key("core.sessions:" + session_key)
        assert 0 < redis.Redis.from_url(settings.REDIS_URL).ttl(copy) <= 2 * settings.SESSION_RENEW_INTERVAL

        def expires():
            return Session.objects.get(session_key=session_key).expire_date

        logged_in_at = timezone.now()
        assert expires() == logged_in_at + datetime.timedelta(minutes=30)
        clock.shift(datetime.timedelta(seconds=30))
        assert logged_in(client)
        # Within a minute of the last write a page does not write the session again ...
        assert expires() == logged_in_at + datetime.timedelta(minutes=30)
        clock.shift(datetime.timedelta(minutes=29))
        assert logged_in(client)  # ... after 29 minutes it does, for another 30.
        assert expires() == timezone.now() + datetime.timedelta(minutes=30)
