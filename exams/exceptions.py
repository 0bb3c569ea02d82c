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
