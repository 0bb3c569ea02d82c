"""Staff in Django admin: masked lists, search by ID number, audited reveals and corrections."""
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.models import AuditEntry
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    staff = UserFactory(username="staff01", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(staff)
    return staff


def test_user_list_masks_id_numbers_and_mobiles(client, staff):
    candidate = UserFactory(mobile="13912340000")
    page = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert candidate.id_number_masked in page and candidate.id_number not in page
    assert "139****0000" in page and "13912340000" not in page


def test_search_by_full_id_number_finds_the_user(client, staff):
    wanted, _other = UserFactory(username="wanted01"), UserFactory(username="other01")
    page = client.get(reverse("admin:accounts_user_changelist"), {"q": wanted.id_number.lower()}).content.decode()
    assert "wanted01" in page and "other01" not in page


def test_full_id_number_needs_the_permission_and_each_reveal_is_audited(client, staff):
    candidate = UserFactory()
    url = reverse("admin:accounts_user_reveal_id", args=[candidate.pk])
    assert client.post(url).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    assert candidate.id_number not in client.get(url).content.decode()  # a confirmation first
    page = client.post(url).content.decode()
    assert candidate.id_number in page
    entry = AuditEntry.objects.get(action="user.id_number_revealed")
    assert entry.actor == staff and entry.object_id == str(candidate.pk)


def test_staff_correct_identity_with_an_audit_entry(client, staff):
    from accounts.demo import resident_id
    import datetime

    candidate = UserFactory(name="张三")
    number = resident_id("370102", datetime.date(1988, 8, 8), 222)
    url = reverse("admin:accounts_user_identity", args=[candidate.pk])
    response = client.post(url, {"name": "张叁", "id_type": "resident_id", "id_number": number})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.name, candidate.id_number, candidate.gender) == ("张叁", number, "F")
    entry = AuditEntry.objects.get(action="user.identity_corrected")
    assert entry.before["name"] == "张三" and number not in str(entry.after)


def test_audit_log_is_read_only_in_admin(client, staff):
    staff.is_superuser = True
    staff.save()
    UserFactory()
    from core.audit import audit_log

    entry = audit_log(actor=staff, action="test.action")
    assert client.get(reverse("admin:core_auditentry_changelist")).status_code == 200
    assert client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
