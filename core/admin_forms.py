"""The plain-text rule (core.validators) in Django admin too: staff type names, reasons, addresses
and notices that end up in PDFs, rosters and candidates' pages, so control, text-direction and
zero-width characters are refused next to the field there as everywhere else."""
from .validators import plain_text_field


class PlainTextAdmin:
    """Put it first in a ModelAdmin's or an inline's bases: every text field of its form gets the rule."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        return plain_text_field(field) if field is not None else None
