"""What typed text and dates may not be: one rule for every form a person fills in.

Control characters (ESC, NUL, DEL, C1), invisible text-direction controls, zero-width characters
and, on one-line fields, line breaks and tabs are refused: they end up in PDFs, invoices, rosters and admin pages,
where they reorder or hide what a reader sees."""
from __future__ import annotations

import datetime
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Bidirectional formatting characters (Unicode UAX #9): embeddings and overrides U+202A–U+202E,
# isolates U+2066–U+2069, the marks U+200E/U+200F and the Arabic letter mark U+061C.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Line breaks as Unicode has them: CR, LF, and the line and paragraph separators (categories Zl, Zp).
LINE_BREAKS = frozenset("\r\n\u2028\u2029")
# Zero-width space, non-joiner, joiner, word joiner and the byte-order mark: invisible, usually pasted
# along with copied text, and they make "张伟" and "张\u200b伟" two different names to every search.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
MULTILINE_ALLOWED = frozenset("\r\n\t")
EARLIEST_PLAUSIBLE_DATE = datetime.date(1900, 1, 1)

# Django's own message, in our catalogue so that its Chinese is right ("不能包含空字符").
NULL_CHARACTER_MESSAGE = _("Null characters are not allowed.")


@deconstructible
class PlainTextValidator:
    """Refuse control and text-direction characters; line breaks and tabs only where `multiline`."""

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        for char in str(value):
            if char == "\x00":
                raise ValidationError(NULL_CHARACTER_MESSAGE, code="null_characters_not_allowed")
            if self.multiline and char in MULTILINE_ALLOWED:
                continue
            if char in LINE_BREAKS:
                raise ValidationError(_("Enter this on one line, without line breaks."), code="line_break")
            if char in BIDI_CONTROLS:
                raise ValidationError(
                    _("Remove the invisible text-direction characters (they can reorder the text) and type it "
                      "again."), code="bidi_control")
            if char in ZERO_WIDTH:
                raise ValidationError(
                    _("Remove the invisible zero-width characters (often pasted along with copied text) and type "
                      "the text again."), code="zero_width")
            if unicodedata.category(char) == "Cc":
                raise ValidationError(
                    _("Remove the control characters (such as tab or ESC) and type the text again."),
                    code="control_character")

    def __eq__(self, other):
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline


def plain_text_field(field: forms.Field) -> forms.Field:
    """Give a typed text field the plain-text rule (a Textarea keeps its line breaks and tabs).

    Passwords are left alone: they are never shown, and any character is allowed in them."""
    if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
        return field
    if any(isinstance(v, PlainTextValidator) for v in field.validators):
        return field
    # Ours names the NUL character itself; Django's would add a second, differently worded message.
    field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]
    field.validators.append(PlainTextValidator(multiline=isinstance(field.widget, forms.Textarea)))
    return field


class PlainTextFormMixin:
    """Every text field of the form, declared or generated from a model, gets the plain-text rule.

    Put it before the Django form class in the bases: class MyForm(PlainTextFormMixin, forms.Form)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            plain_text_field(field)


def validate_past_date(value: datetime.date | None, *, future_message=None) -> None:
    """A date something happened (graduation, a certificate's issue): not after today in China
    time, not before 1900."""
    if value is None:
        return
    if value > timezone.localdate():
        raise ValidationError(future_message or _("The date cannot be in the future."), code="date_future")
    if value < EARLIEST_PLAUSIBLE_DATE:
        raise ValidationError(_("The date cannot be before 1900."), code="date_implausible")
