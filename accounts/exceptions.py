from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError


class DuplicateAccount(DomainError):
    """Username, identity, mobile or e-mail already belongs to an account."""


class VerificationFailed(DomainError):
    field = "code"


class ResendTooSoon(DomainError):
    def __init__(self, seconds: int):
        super().__init__(_("A code was sent recently. Try again in %(s)d seconds.") % {"s": seconds})
        self.seconds = seconds


class AccountLocked(DomainError):
    def __init__(self, minutes: int):
        super().__init__(
            _("Too many failed attempts. The account is locked; try again in %(m)d minutes.") % {"m": minutes}
        )
        self.minutes = minutes


class IdentityMismatch(DomainError):
    """Name, ID or mobile do not match an account. Deliberately vague: no account enumeration."""

    def __init__(self, message=None):
        super().__init__(message or _("The information does not match any account."))


class RuleViolation(DomainError):
    pass
