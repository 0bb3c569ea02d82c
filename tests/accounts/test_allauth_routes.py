"""The login library's own routes (issue 12, item 5): each one is either needed and works, or is off.
Its e-mail page let a candidate add any address, even another account's, and make it primary with no
code (500, e-mail table and user row disagreeing); the address now changes only through our flow."""
import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from core.models import AuditEntry
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lilei():
    user = UserFactory(username="lilei", email="lilei@example.org")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


@pytest.fixture
def hanmeimei():
    user = UserFactory(username="hanmeimei", email="hmm@example.org")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


def addresses():
    return sorted(EmailAddress.objects.values_list("user__username", "email", "primary", "verified"))


def test_the_library_email_page_leads_to_our_change_flow(client, lilei):
    client.force_login(lilei)
    response = client.get("/accounts/email/")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:email-change")
    assert reverse("account_email") == "/accounts/email/"  # the library's own links land there too


@pytest.mark.parametrize("action", ["action_add", "action_primary", "action_send", "action_remove"])
def test_no_post_to_the_library_email_page_changes_an_address(client, lilei, hanmeimei, action):
    before = addresses()
    client.force_login(lilei)
    response = client.post("/accounts/email/", {action: "", "email": "hmm@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:email-change")
    assert addresses() == before
    lilei.refresh_from_db()
    assert lilei.email == "lilei@example.org"


@pytest.mark.parametrize("path", ["/accounts/password/set/", "/accounts/reauthenticate/",
                                  "/accounts/login/code/confirm/"])
def test_routes_the_product_does_not_offer_are_off(client, lilei, path):
    assert client.get(path).status_code == 404
    client.force_login(lilei)
    assert client.get(path).status_code == 404
    assert client.post(path, {"password": PASSWORD}).status_code == 404


def test_signup_is_our_wizard_not_the_library_form(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert response.resolver_match.view_name == "accounts:signup-agreement"


def test_password_change_is_offered_and_audited(client, lilei):
    client.force_login(lilei)
    assert client.get(reverse("account_change_password")).status_code == 200
    response = client.post(reverse("account_change_password"), {
        "oldpassword": PASSWORD, "password1": "Another-Horse-43", "password2": "Another-Horse-43"})
    assert response.status_code == 302
    lilei.refresh_from_db()
    assert lilei.check_password("Another-Horse-43")
    assert AuditEntry.objects.filter(object_id=str(lilei.pk), action__startswith="user.password").count() == 1


def test_an_inactive_account_is_told_so(client, lilei):
    lilei.is_active = False
    lilei.save(update_fields=["is_active"])
    assert client.get(reverse("account_inactive")).status_code == 200


def test_the_email_confirmation_link_verifies_the_address(client, lilei):
    address = EmailAddress.objects.get(user=lilei)
    EmailAddress.objects.filter(pk=address.pk).update(verified=False)
    from allauth.account.models import EmailConfirmationHMAC

    key = EmailConfirmationHMAC(address).key
    url = reverse("account_confirm_email", args=[key])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    address.refresh_from_db()
    assert address.verified
