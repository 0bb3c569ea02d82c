"""What the side menu needs to know about the user beyond the kind of account: whether they are an
expert (专家评价). Asked on every page that shows the menu, so the answer is kept per process for a
minute (a role given or taken shows within that minute) and costs no query on most pages."""
import functools

from django.core.cache import caches

from .roles import Role

TTL_SECONDS = 60


class _MenuRoles:
    def __init__(self, user):
        self._user = user

    @functools.cached_property
    def expert(self) -> bool:
        user = self._user
        if user is None or not user.is_authenticated or user.kind == "institution":
            return False
        key = f"menu-roles:{user.pk}"
        local = caches["local"]
        held = local.get(key)
        if held is None:
            held = user.groups.filter(name=Role.EXPERT).exists()
            local.set(key, held, TTL_SECONDS)
        return held


def menu_roles(request):
    return {"menu_roles": _MenuRoles(getattr(request, "user", None))}
