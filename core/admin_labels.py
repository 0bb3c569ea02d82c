"""What admin shows instead of stored codes and UTC: labels in the interface language for fields that
hold a code without Django choices, and times in Beijing time (Asia/Shanghai, settings.TIME_ZONE)."""
from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib import admin
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import exports


def labelled_filter(field: str, title, choices: Callable[[], list[tuple[str, str]]] | list):
    """A list filter on `field` that offers `choices` (code, label) by their labels, where Django's own
    filter would list the raw codes found in the table."""

    class LabelledFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return list(choices() if callable(choices) else choices)

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    LabelledFilter.title = title
    LabelledFilter.__name__ = f"{field.title().replace('_', '')}Filter"
    return LabelledFilter


def local_time(value: datetime.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """An aware time as Beijing time (the project's TIME_ZONE), for text that Django does not convert itself."""
    return exports.local_time(value, fmt)


def localise_value(value):
    """An audit value as a reader expects it: a time written as text (stored in UTC) in Beijing time;
    dicts and lists value by value; anything else unchanged."""
    if isinstance(value, dict):
        return {key: localise_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [localise_value(item) for item in value]
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] in (" ", "T"):
        try:
            moment = parse_datetime(value)
        except ValueError:
            return value
        if moment is not None and timezone.is_aware(moment):
            return local_time(moment)
    return value
