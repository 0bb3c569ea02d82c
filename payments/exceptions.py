from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from core.workflow import StaleState


class OrderNotPayable(DomainError):
    pass


class PaymentRejected(DomainError):
    """A notification or query result that must not credit anything (amount, order, replay elsewhere)."""


class RefundNotAllowed(DomainError):
    pass


class OrderChanged(StaleState):
    """Another request (a payment, the expiry, a cancel) changed the order after it was read."""

    default_message = _("This order was changed meanwhile. Reload the page.")


class InvoiceNotChangeable(DomainError):
    pass


class InvoiceChanged(StaleState):
    """The invoice was voided by another request after it was read."""

    default_message = _("This invoice was changed meanwhile. Reload the page.")


class RefundChanged(StaleState):
    """Another worker or staff member changed the refund after it was read."""

    default_message = _("This refund was changed meanwhile. Reload the page.")
