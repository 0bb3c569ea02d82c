from django.contrib.auth.backends import ModelBackend

from core.prepared import Prepared

from . import selectors
from .models import User

# Every authenticated request loads its user: compiled once per process (core.prepared).
USER_BY_PK = Prepared(lambda p: User._default_manager.filter(pk=p.pk))


class LoginBackend(ModelBackend):
    """Password login by username, e-mail or mobile."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        identifier = username or email or kwargs.get(User.USERNAME_FIELD)
        if not identifier or password is None:
            return None
        user = selectors.user_by_login(identifier)
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        try:
            user = USER_BY_PK.first(pk=int(user_id))
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None
