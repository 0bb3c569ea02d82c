"""allauth hooks: our lockout instead of allauth's rate limit, our audited password service."""
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django import forms
from django.core.exceptions import PermissionDenied

from core.http import client_ip

from . import selectors, services
from .exceptions import AccountLocked


def _identifier(credentials) -> str:
    return credentials.get("username") or credentials.get("email") or ""


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):
        """allauth's rate limits read the address the way the lockout and the audit log do."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def pre_authenticate(self, request, **credentials):
        identifier = _identifier(credentials)
        user = selectors.user_by_login(identifier)
        try:
            services.auth_check_allowed(user=user, identifier=identifier, ip=client_ip(request))
        except AccountLocked as exc:
            raise forms.ValidationError(exc.message, code="locked")

    def authentication_failed(self, request, **credentials):
        identifier = _identifier(credentials)
        services.auth_record_failure(user=selectors.user_by_login(identifier), identifier=identifier,
                                     ip=client_ip(request))

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            services.auth_record_success(user=user)
        return user

    def set_password(self, user, password):
        request = getattr(self, "request", None) or context.request
        actor = request.user if request and request.user.is_authenticated else None
        services.user_set_password(user=user, password=password, actor=actor, via="account",
                                   ip_address=client_ip(request))
