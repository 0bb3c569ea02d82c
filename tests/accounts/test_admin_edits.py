"""Staff edits of a person in admin go through a service with an audit entry (issue 13): the mobile,
the e-mail (with the e-mail table kept in step) and the active flag. Before, admin saved the model
directly and nothing recorded who changed what."""
from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts import services
from core.models import AuditEntry
from tests.accounts.factories import UserFactory
from tests.staff.conftest import staff_user

pytestmark = pytest.mark.django_db


class FormFields(HTMLParser):
    """The values a browser would submit from the page's main form."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            else:
                self.data[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def page_form(client, url) -> dict:
    parser = FormFields()
    parser.feed(client.get(url).content.decode())
    return {k: v for k, v in parser.data.items() if k != "csrfmiddlewaretoken"}


def test_a_staff_edit_of_mobile_and_email_is_audited_and_keeps_the_email_table(client):
    person = UserFactory(username="lilei", mobile="13800138000", email="old@example.org")
    EmailAddress.objects.create(user=person, email="old@example.org", primary=True, verified=True)
    staff = staff_user("assoc", groups=["association_staff"])
    client.force_login(staff)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    data = page_form(client, url)
    data.update(mobile="13900139000", email="new@example.org")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert (person.mobile, person.email, person.mobile_verified_at) == ("13900139000", "new@example.org", None)
    assert list(EmailAddress.objects.filter(user=person).values_list("email", "primary", "verified")) == [
        ("new@example.org", True, False)]
    [entry] = AuditEntry.objects.filter(action="user.changed_by_staff", object_id=str(person.pk))
    assert entry.actor == staff
    assert entry.before == {"mobile": "13800138000", "email": "old@example.org"}
    assert entry.after["mobile"] == "13900139000" and entry.after["email"] == "new@example.org"


def test_deactivating_an_account_is_audited(client):
    person = UserFactory(username="hanmeimei")
    staff = staff_user("assoc", groups=["association_staff"])
    services.user_update_by_staff(actor=staff, user=person, changes={"is_active": False})
    person.refresh_from_db()
    assert not person.is_active
    entry = AuditEntry.objects.get(action="user.changed_by_staff", object_id=str(person.pk))
    assert entry.before == {"is_active": True} and entry.after == {"is_active": False}


def test_a_save_without_changes_writes_nothing(client):
    person = UserFactory(username="nochange")
    client.force_login(staff_user("assoc", groups=["association_staff"]))
    url = reverse("admin:accounts_user_change", args=[person.pk])
    assert client.post(url, page_form(client, url)).status_code == 302
    assert not AuditEntry.objects.filter(action="user.changed_by_staff").exists()


def test_fields_outside_the_list_are_refused_by_the_service():
    from django.core.exceptions import PermissionDenied

    person = UserFactory()
    with pytest.raises(PermissionDenied):
        services.user_update_by_staff(actor=staff_user("assoc", groups=["association_staff"]), user=person,
                                      changes={"is_superuser": True})
    person.refresh_from_db()
    assert not person.is_superuser


def test_a_staff_edit_of_an_education_record_inline_is_audited(client):
    """The user's page in admin edits education records inline: through the service, with who and what."""
    from tests.accounts.factories import EducationFactory

    person = UserFactory(username="wangfang")
    record = EducationFactory(user=person, school="青岛大学")
    staff = staff_user("assoc", groups=["association_staff"])
    client.force_login(staff)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    data = page_form(client, url)
    prefix = next(key[:-len("-id")] for key, value in data.items() if key.endswith("-id") and value == str(record.pk))
    data[f"{prefix}-school"] = "山东大学"
    data[f"{prefix}-verification_status"] = "verified"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    record.refresh_from_db()
    assert (record.school, record.verification_status) == ("山东大学", "verified")
    entry = AuditEntry.objects.get(action="education.saved", object_id=str(record.pk))
    assert entry.actor == staff
    assert entry.before["school"] == "青岛大学" and entry.after["school"] == "山东大学"
    assert entry.after["verification_status"] == "verified"


def test_deleting_the_last_education_record_inline_is_refused_with_a_message(client):
    from tests.accounts.factories import EducationFactory

    person = UserFactory(username="lastone")
    record = EducationFactory(user=person)
    client.force_login(staff_user("root", superuser=True))  # association staff may not delete records at all
    url = reverse("admin:accounts_user_change", args=[person.pk])
    data = page_form(client, url)
    prefix = next(key[:-len("-id")] for key, value in data.items() if key.endswith("-id") and value == str(record.pk))
    data[f"{prefix}-DELETE"] = "on"
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert record.__class__.objects.filter(pk=record.pk).exists()
    assert any("education record" in str(m) or "学历" in str(m) for m in response.context["messages"])
    assert not AuditEntry.objects.filter(action="education.deleted").exists()
