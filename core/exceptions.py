class DomainError(Exception):
    """A rule of the domain refused the change. `field` names the form field it belongs to."""

    field: str | None = None

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field

    def __str__(self):
        return str(self.message)
