from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError


class SeatsExhausted(DomainError):
    """No seat left in one or more quotas; `quota_ids` names them."""

    field = "area"

    def __init__(self, quota_ids):
        super().__init__(_("The seats ran out while you were choosing."))
        self.quota_ids = list(quota_ids)


class QuotaRuleViolation(DomainError):
    pass


class SeatsBusy(DomainError):
    """A seat row stayed locked by other candidates longer than the lock timeout: nothing changed,
    the candidate may simply try again (系统繁忙，请稍后再试)."""

    def __init__(self):
        super().__init__(_("The system is busy, please try again later."))


class InconsistentData(DomainError):
    """Two things that must belong together do not (another exam's sitting, a subject of another exam);
    `field` names the one to change."""
