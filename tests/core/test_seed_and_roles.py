import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_roles_exist_with_their_permissions_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
    staff = Group.objects.get(name=Role.ASSOCIATION_STAFF)
    assert staff.permissions.filter(codename="view_auditentry").exists()
    assert not Group.objects.get(name=Role.CANDIDATE).permissions.exists()


def test_seed_demo_is_idempotent_and_its_logins_work(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    count = User.objects.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert User.objects.count() == count
    response = client.post("/accounts/login/", {"login": "candidate", "password": "Demo#2026pass",
                                                "captcha_0": "k", "captcha_1": "PASSED", "entry": "individual"})
    assert response.status_code == 302
    candidate = User.objects.get(username="candidate")
    assert candidate.groups.filter(name=Role.CANDIDATE).exists() and candidate.education_records.exists()
    assert User.objects.get(username="shandong").province == "37"
