from core.exceptions import DomainError


class ApplicationRefused(DomainError):
    """The application cannot move so: its state, who acts, or what it still lacks (the message says)."""


class RequirementsNotMet(ApplicationRefused):
    """Submitted without what the field and level need: one message per unmet requirement."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(str(p) for p in problems))
        self.problems = problems


class CertificateRefused(DomainError):
    pass


class ConflictOfInterest(DomainError):
    """An expert of the applicant's own institution may not evaluate the application."""
