"""Issue 12 item 2 (SPEC A9, F1): association staff must not make anyone a superuser. Only superusers
grant superuser, admin access (is_staff) or permissions; a role is given or taken on the user's
"Roles and access" page by someone holding the permission for it, through the audited service."""
import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts import demo
from accounts.models import User
from accounts.roles import Role
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db):
    """The demo accounts (admin, staff, examadmin, shandong, candidate, institution) by username."""
    demo.seed()
    return {user.username: user for user in User.objects.all()}


def change_form_data(user: User, **extra) -> dict:
    """What the change form of `user` posts when nothing is touched, plus `extra`."""
    data = {"username": user.username, "mobile": user.mobile, "email": user.email, "kind": user.kind,
            "province": user.province, "identity_status": user.identity_status,
            "institution": user.institution_id or "", "is_active": "on" if user.is_active else "",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    for prefix in ("education_records", "qualifications"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                 f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    return data | extra


def roles_of(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# --------------------------------------------------------------------------- the exploit


def test_staff_ticking_superuser_on_a_users_change_form_is_refused(client, users):
    candidate = users["candidate"]
    client.force_login(users["staff"])
    url = reverse("admin:accounts_user_change", args=[candidate.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    assert 'name="is_staff"' not in page and 'name="groups"' not in page
    everything = list(Permission.objects.values_list("pk", flat=True))
    response = client.post(url, change_form_data(
        candidate, is_superuser="on", is_staff="on", user_permissions=everything,
        groups=[Group.objects.get(name=Role.ASSOCIATION_STAFF).pk]))
    assert response.status_code in (200, 302)
    candidate.refresh_from_db()
    assert not candidate.is_superuser and not candidate.is_staff
    assert not candidate.user_permissions.exists() and roles_of(candidate) == {Role.CANDIDATE}
    assert not candidate.has_perm("accounts.change_user")


def test_staff_cannot_change_a_superusers_account_or_password(client, users):
    admin_user = users["admin"]
    client.force_login(users["staff"])
    url = reverse("admin:accounts_user_change", args=[admin_user.pk])
    assert 'name="_save"' not in client.get(url).content.decode()  # shown read-only
    response = client.post(url, change_form_data(admin_user, email="taken-over@example.org", is_active=""))
    assert response.status_code == 403
    password = reverse("admin:auth_user_password_change", args=[admin_user.pk])
    assert client.post(password, {"password1": "Str0ng-Passw0rd!", "password2": "Str0ng-Passw0rd!",
                                  "usable_password": "true"}).status_code == 403
    identity = reverse("admin:accounts_user_identity", args=[admin_user.pk])
    assert client.post(identity, {"name": "冒名", "id_type": "passport", "id_number": "E12345678"}).status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.email != "taken-over@example.org" and admin_user.is_active and admin_user.name == "系统管理员"
    assert admin_user.check_password(demo.DEMO_PASSWORD)


def test_staff_cannot_change_another_staff_account(client, users):
    """A password set on the exam administrator's account would let staff act as them."""
    examadmin = users["examadmin"]
    client.force_login(users["staff"])
    password = reverse("admin:auth_user_password_change", args=[examadmin.pk])
    assert client.post(password, {"password1": "Str0ng-Passw0rd!", "password2": "Str0ng-Passw0rd!",
                                  "usable_password": "true"}).status_code == 403
    response = client.post(reverse("admin:accounts_user_change", args=[examadmin.pk]),
                           change_form_data(examadmin, province="37"))
    assert response.status_code == 403
    examadmin.refresh_from_db()
    assert examadmin.check_password(demo.DEMO_PASSWORD) and examadmin.province == ""


def test_staff_given_the_delete_permission_still_cannot_delete_a_superuser(client, users):
    staff = users["staff"]
    staff.user_permissions.add(Permission.objects.get(codename="delete_user"))
    client.force_login(staff)
    admin_user = users["admin"]
    assert client.post(reverse("admin:accounts_user_delete", args=[admin_user.pk]), {"post": "yes"}).status_code == 403
    response = client.post(reverse("admin:accounts_user_changelist"), {
        "action": "delete_selected", "_selected_action": [admin_user.pk], "post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=admin_user.pk, is_superuser=True).exists()


def test_role_groups_permissions_are_not_editable_by_staff(client, users):
    staff = users["staff"]
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="auth",
                                                          codename__in=["view_group", "change_group"]))
    client.force_login(staff)
    group = Group.objects.get(name=Role.ASSOCIATION_STAFF)
    wanted = list(group.permissions.values_list("pk", flat=True))
    everything = list(Permission.objects.values_list("pk", flat=True))
    response = client.post(reverse("admin:auth_group_change", args=[group.pk]),
                           {"name": group.name, "permissions": everything})
    assert response.status_code == 403
    assert sorted(group.permissions.values_list("pk", flat=True)) == sorted(wanted)


# --------------------------------------------------------------------------- giving and taking roles


def roles_url(user: User) -> str:
    return reverse("admin:accounts_user_roles", args=[user.pk])


def role_entries(user: User):
    return AuditEntry.objects.filter(object_id=str(user.pk), action__in=["user.role_granted", "user.role_revoked"])


def test_staff_gives_the_expert_role_with_one_audit_entry(client, users):
    candidate, staff = users["candidate"], users["staff"]
    client.force_login(staff)
    page = client.get(reverse("admin:accounts_user_change", args=[candidate.pk])).content.decode()
    assert roles_url(candidate) in page  # the "Roles and access" button
    page = client.get(roles_url(candidate)).content.decode()
    assert 'value="expert"' in page and 'value="association_staff"' not in page
    assert 'name="privileges-is_superuser"' not in page
    response = client.post(roles_url(candidate), {"roles-roles": [Role.CANDIDATE, Role.EXPERT], "_roles": "1"})
    assert response.status_code == 302
    assert roles_of(candidate) == {Role.CANDIDATE, Role.EXPERT}
    candidate.refresh_from_db()
    assert not candidate.is_staff
    entry = role_entries(candidate).get()
    assert (entry.actor, entry.action, entry.after) == (staff, "user.role_granted", {"role": Role.EXPERT})

    client.post(roles_url(candidate), {"roles-roles": [Role.CANDIDATE], "_roles": "1"})
    assert roles_of(candidate) == {Role.CANDIDATE}
    taken = role_entries(candidate).get(action="user.role_revoked")
    assert taken.actor == staff and taken.before == {"role": Role.EXPERT}


def test_staff_cannot_make_anyone_staff_even_with_a_crafted_post(client, users):
    candidate = users["candidate"]
    client.force_login(users["staff"])
    response = client.post(roles_url(candidate), {"roles-roles": [Role.CANDIDATE, Role.ASSOCIATION_STAFF],
                                                  "_roles": "1"})
    assert response.status_code == 200
    assert "association_staff 不在可用的选项中" in response.content.decode()  # beside the field, in Chinese
    response = client.post(roles_url(candidate), {"privileges-is_superuser": "on", "privileges-is_staff": "on",
                                                  "_privileges": "1"})
    assert response.status_code == 200
    candidate.refresh_from_db()
    assert roles_of(candidate) == {Role.CANDIDATE} and not candidate.is_staff and not candidate.is_superuser
    assert not role_entries(candidate).exists()


def test_the_service_refuses_what_the_actor_may_not_assign(users):
    from accounts import services
    from accounts.exceptions import RuleViolation

    candidate, staff = users["candidate"], users["staff"]
    for role in (Role.ASSOCIATION_STAFF, Role.EXAM_ADMINISTRATOR, Role.PROVINCIAL_AUTHORITY):
        with pytest.raises(RuleViolation) as refused:
            services.user_roles_change(actor=staff, user=candidate, grant=[role])
        assert refused.value.field == "roles"
    with pytest.raises(RuleViolation):
        services.user_roles_change(actor=users["examadmin"], user=candidate, grant=[Role.EXPERT])
    with pytest.raises(RuleViolation):  # never one's own roles
        services.user_roles_change(actor=staff, user=staff, grant=[Role.EXPERT])
    with pytest.raises(RuleViolation):  # nor a superuser's
        services.user_roles_change(actor=staff, user=users["admin"], revoke=[Role.CANDIDATE])
    assert roles_of(candidate) == {Role.CANDIDATE} and not role_entries(candidate).exists()


@pytest.mark.parametrize("who", ["examadmin", "shandong", "candidate"])
def test_users_without_an_assign_permission_cannot_open_the_roles_page(client, users, who):
    client.force_login(users[who])
    target = users["institution"]
    response = client.post(roles_url(target), {"roles-roles": [Role.EXPERT], "_roles": "1"})
    assert response.status_code == (302 if who == "candidate" else 403)  # a candidate is sent to the admin login
    assert roles_of(target) == {Role.INSTITUTION_USER}
    if who != "candidate":
        page = client.get(reverse("admin:accounts_user_change", args=[target.pk])).content.decode()
        assert roles_url(target) not in page


def test_staff_cannot_open_the_roles_page_of_a_superuser_a_staff_member_or_their_own(client, users):
    from accounts import services
    from accounts.exceptions import RuleViolation

    client.force_login(users["staff"])
    for who in ("admin", "examadmin", "staff"):
        assert client.get(roles_url(users[who])).status_code == 403
    with pytest.raises(RuleViolation):  # candidate-side roles on a staff account are not theirs to change either
        services.user_roles_change(actor=users["staff"], user=users["examadmin"], grant=[Role.EXPERT])
    assert roles_of(users["examadmin"]) == {Role.EXAM_ADMINISTRATOR}


def test_a_staff_role_brings_admin_access_and_taking_the_last_one_takes_it_back(client, users):
    boss, candidate = users["admin"], users["candidate"]
    candidate.province = "37"
    candidate.save()
    client.force_login(boss)
    response = client.post(roles_url(candidate), {"roles-roles": [Role.CANDIDATE, Role.EXAM_ADMINISTRATOR,
                                                                  Role.PROVINCIAL_AUTHORITY], "_roles": "1"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.is_staff and not candidate.is_superuser
    assert roles_of(candidate) == {Role.CANDIDATE, Role.EXAM_ADMINISTRATOR, Role.PROVINCIAL_AUTHORITY}
    entries = role_entries(candidate).order_by("id")
    assert [(e.actor, e.after) for e in entries] == [
        (boss, {"role": Role.EXAM_ADMINISTRATOR, "is_staff": True}), (boss, {"role": Role.PROVINCIAL_AUTHORITY})]
    client.post(roles_url(candidate), {"roles-roles": [Role.CANDIDATE, Role.PROVINCIAL_AUTHORITY], "_roles": "1"})
    candidate.refresh_from_db()
    assert candidate.is_staff  # still a provincial authority
    client.post(roles_url(candidate), {"roles-roles": [Role.CANDIDATE], "_roles": "1"})
    candidate.refresh_from_db()
    assert not candidate.is_staff
    assert role_entries(candidate).order_by("id").last().after == {"is_staff": False}


def test_a_provincial_authority_needs_a_province_first(client, users):
    candidate = users["candidate"]
    client.force_login(users["admin"])
    response = client.post(roles_url(candidate), {"roles-roles": [Role.PROVINCIAL_AUTHORITY], "_roles": "1"})
    assert response.status_code == 200
    assert "请先设置该用户的所在省份" in response.content.decode()
    assert roles_of(candidate) == {Role.CANDIDATE} and not role_entries(candidate).exists()


def test_someone_a_superuser_trusted_with_staff_roles_may_give_them(client, users):
    staff, candidate = users["staff"], users["candidate"]
    staff.user_permissions.add(Permission.objects.get(codename="assign_staff_roles"))
    client.force_login(staff)
    assert 'value="exam_administrator"' in client.get(roles_url(candidate)).content.decode()
    client.post(roles_url(candidate), {"roles-roles": [Role.CANDIDATE, Role.EXAM_ADMINISTRATOR], "_roles": "1"})
    candidate.refresh_from_db()
    assert candidate.is_staff and Role.EXAM_ADMINISTRATOR in roles_of(candidate)
    assert role_entries(candidate).get().actor == staff
    # the new exam administrator's account is now out of staff's reach (password, profile, roles stay theirs)
    assert client.get(roles_url(candidate)).status_code == 200
    response = client.post(reverse("admin:accounts_user_change", args=[candidate.pk]), change_form_data(candidate))
    assert response.status_code == 403


def test_only_a_superuser_grants_superuser_status_and_permissions_with_an_audit_entry(client, users):
    boss, staff = users["admin"], users["staff"]
    client.force_login(boss)
    page = client.get(roles_url(staff)).content.decode()
    assert 'name="privileges-is_superuser"' in page and 'name="privileges-permissions"' in page
    permission = Permission.objects.get(codename="view_full_id_number")
    response = client.post(roles_url(staff), {"privileges-is_superuser": "on", "privileges-is_staff": "on",
                                              "privileges-permissions": [permission.pk], "_privileges": "1"})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.is_superuser and list(staff.user_permissions.all()) == [permission]
    entry = AuditEntry.objects.get(action="user.privileges_changed")
    assert entry.actor == boss and entry.object_id == str(staff.pk)
    assert entry.before == {"is_superuser": False, "permissions": []}
    assert entry.after == {"is_superuser": True, "permissions": ["accounts.view_full_id_number"]}


def test_a_superuser_keeps_their_own_status(client, users):
    boss = users["admin"]
    client.force_login(boss)
    response = client.post(roles_url(boss), {"privileges-is_staff": "on", "_privileges": "1"})
    assert response.status_code == 200 and "不能取消自己的超级用户状态" in response.content.decode()
    boss.refresh_from_db()
    assert boss.is_superuser


def test_the_roles_page_in_english(client, users):
    client.force_login(users["admin"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.post(roles_url(users["candidate"]), {"roles-roles": [Role.PROVINCIAL_AUTHORITY],
                                                           "_roles": "1"})
    page = response.content.decode()
    assert "Set the user&#x27;s province before giving the role" in page and "Roles and access" in page
