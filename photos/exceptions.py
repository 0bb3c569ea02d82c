from core.exceptions import DomainError


class PhotoLocked(DomainError):
    field = "photo"


class PhotoRefused(DomainError):
    field = "photo"
