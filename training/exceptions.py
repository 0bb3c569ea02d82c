from core.exceptions import DomainError


class TrainingRefused(DomainError):
    """A training action refused: its state, who acts, or a rule (the message says which)."""
