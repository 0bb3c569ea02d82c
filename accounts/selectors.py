"""Reads for accounts: lookups used by forms, views and the authentication backend."""
from __future__ import annotations

from django.db.models import Q

from core import crypto

from .identity import normalize_id_number
from .models import User


def user_by_login(identifier: str) -> User | None:
    """The account a login string names: username, e-mail or mobile (case-insensitive)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        query = Q(email__iexact=identifier)
    else:
        query = Q(username__iexact=identifier) | Q(mobile=identifier)
    users = list(User.objects.filter(query)[:2])
    return users[0] if len(users) == 1 else None


def user_by_identity(*, id_type: str, id_number: str, name: str) -> User | None:
    """Exact match on ID type + number (through the keyed hash) and real name."""
    number = normalize_id_number(id_number)
    if not number:
        return None
    return User.objects.filter(
        id_type=id_type, id_number_hash=crypto.keyed_hash(number), name=name.strip(), is_active=True
    ).first()


def users_by_id_number(id_number: str):
    number = normalize_id_number(id_number)
    return User.objects.filter(id_number_hash=crypto.keyed_hash(number)) if number else User.objects.none()


def identity_taken(id_type: str, id_number: str) -> bool:
    number = normalize_id_number(id_number)
    return User.objects.filter(id_type=id_type, id_number_hash=crypto.keyed_hash(number)).exists()


def username_taken(username: str) -> bool:
    return User.objects.filter(username__iexact=username.strip()).exists()


def mobile_taken(mobile: str, *, exclude: User | None = None) -> bool:
    qs = User.objects.filter(mobile=mobile)
    return (qs.exclude(pk=exclude.pk) if exclude else qs).exists()


def email_taken(email: str, *, exclude: User | None = None) -> bool:
    from allauth.account.models import EmailAddress

    users = User.objects.filter(email__iexact=email.strip())
    addresses = EmailAddress.objects.filter(email__iexact=email.strip())
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
        addresses = addresses.exclude(user=exclude)
    return users.exists() or addresses.exists()


def is_listed_dishonest(user: User) -> bool:
    """On the dishonest-person list (A10), matched by ID number, while the listing lasts."""
    from django.utils import timezone

    from .models import DishonestRecord

    if not user.id_number_hash:
        return False
    return (DishonestRecord.objects.filter(id_number_hash=user.id_number_hash, active=True)
            .filter(Q(listed_until__isnull=True) | Q(listed_until__gte=timezone.localdate())).exists())


def roles_held(user: User) -> list[str]:
    """The user's roles (role groups), in the order of Role."""
    from .roles import Role

    names = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    return [role for role in Role.values if role in names]


def user_is_privileged(user: User) -> bool:
    """A superuser, an account with admin access or one holding a staff role: only superusers change
    such accounts, since a password or province set on one would let the editor act as, or widen, it."""
    from .roles import STAFF_ROLES

    return user.is_superuser or user.is_staff or user.groups.filter(name__in=STAFF_ROLES).exists()
