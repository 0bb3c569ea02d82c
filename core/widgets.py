"""A <select> for long fixed lists (nationalities, ethnicities, provinces), rendered in Python.

Django renders every <option> through a template: about 25 µs each, so the information page's
260 options cost 6 ms of CPU on every visit. The options' HTML here is built once per process,
language and list, and only the `selected` mark is placed per request. The markup is Django's own
(tests/core/test_widgets.py compares the two)."""
from __future__ import annotations

import threading

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

_options: dict[tuple, list[tuple[str, str]]] = {}
_lock = threading.Lock()


class ListSelect(forms.Select):
    def _options_html(self) -> list[tuple[str, str, str]]:
        """[(value, '<option value="…"', '>label</option>'), …], built once per language and list."""
        key = (get_language(), tuple((str(value), str(label)) for value, label in self.choices))
        found = _options.get(key)
        if found is None:
            found = [(value, format_html('<option value="{}"', value), format_html(">{}</option>", label))
                     for value, label in key[1]]
            with _lock:
                _options[key] = found
        return found

    def render(self, name, value, attrs=None, renderer=None):
        if any(isinstance(label, (list, tuple)) for _value, label in self.choices):
            return super().render(name, value, attrs, renderer)  # option groups: Django's templates
        final_attrs = self.build_attrs(self.attrs, attrs)
        selected = set(self.format_value(value))
        options = "\n  ".join(start + (" selected" if option in selected else "") + end
                              for option, start, end in self._options_html())
        return mark_safe(f'<select name="{escape(name)}"{flatatt(final_attrs)}>\n  {options}\n</select>')
