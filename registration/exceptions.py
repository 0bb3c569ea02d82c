from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError


class RegistrationClosed(DomainError):
    def __init__(self, message=None):
        super().__init__(message or _("Registration for this exam is not open: nothing can be changed now."))


class NotEditable(DomainError):
    def __init__(self, message=None):
        super().__init__(message or _("Your seats are taken: subjects and area can no longer be changed here."))


class StepMissing(DomainError):
    pass


class InvalidChoice(DomainError):
    """A tampered or stale form: a subject not offered, two subjects in a sitting, an unknown area."""


class NoSeatsInArea(DomainError):
    field = "area"

    def __init__(self, message, *, full_sittings, alternatives):
        super().__init__(message)
        self.full_sittings = full_sittings
        self.alternatives = alternatives


class TransitionRefused(DomainError):
    """The enrollment is no longer in the state this change starts from (another request won)."""


class NotAllowed(DomainError):
    """The staff member does not hold the permission this work needs (the page should not have offered it)."""
