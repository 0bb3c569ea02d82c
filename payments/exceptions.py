from core.exceptions import DomainError


class OrderNotPayable(DomainError):
    pass


class PaymentRejected(DomainError):
    """A notification or query result that must not credit anything (amount, order, replay elsewhere)."""


class RefundNotAllowed(DomainError):
    pass
