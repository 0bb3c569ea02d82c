from django.contrib.auth.backends import ModelBackend

from . import selectors
from .models import User


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
