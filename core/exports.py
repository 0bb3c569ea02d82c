"""Cells written into CSV and XLSX files that staff open in Excel or WPS. Every export writes its
rows through `safe_row`, so text a user typed (an invoice title, a school) can never run as a
formula there (CSV/formula injection): a cell that starts with = + - @, a tab or a CR gets a
leading apostrophe, which spreadsheets show as text. Times are written in Beijing time (`local_time`),
never in the UTC they are stored in."""
import datetime
from collections.abc import Iterable

from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable) -> list:
    return [safe_cell(value) for value in row]


def local_time(value: datetime.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (UTC) as the staff read it: Beijing time (settings.TIME_ZONE); "" for none."""
    return timezone.localtime(value).strftime(fmt) if value else ""
