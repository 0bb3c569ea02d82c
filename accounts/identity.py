"""Identity rules: names, ID numbers per type, mobiles. python-stdnum checks the resident ID
(GB 11643 length, checksum); the date and the region code are checked here: stdnum refuses a
county code created after the birth date, which many valid numbers have (core.regions)."""
from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric
from stdnum.iso7064 import mod_11_2

from core.regions import division_code_known

from .models import Gender, IdType

OLDEST_PLAUSIBLE_AGE = 120
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef"
# A Chinese name; a character that cannot be typed is written as a homophone in brackets: 王晓[沛]
# and a middle dot only joins two parts (阿依古丽·买买提).
_NAME_PART = rf"(?:[{_CJK}]|\[[{_CJK}]\])+"
_CHINESE_NAME = re.compile(rf"^{_NAME_PART}(?:·{_NAME_PART})*$")
_BRACKETED = re.compile(rf"\[[{_CJK}]\]")
_FOREIGN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]*[A-Za-z.]$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_OTHER_ID_FORMATS = {
    IdType.PASSPORT: (re.compile(r"^[A-Z0-9]{5,17}$"), _("A passport number has 5 to 17 letters and digits.")),
    IdType.HK_MACAO_PERMIT: (
        re.compile(r"^[HM][0-9]{8}([0-9]{2})?$"),
        _("A Hong Kong/Macao permit number is H or M followed by 8 or 10 digits."),
    ),
    IdType.TAIWAN_PERMIT: (re.compile(r"^[0-9]{8}([0-9]{2})?$"), _("A Taiwan permit number has 8 or 10 digits.")),
    IdType.MILITARY_OFFICER: (
        re.compile(rf"^[{_CJK}]{{1,3}}字第[0-9]{{4,8}}号$"),
        _("A military officer card number looks like 南字第12345678号."),
    ),
}
RESIDENCE_PERMIT_AREAS = ("81", "82", "83")


@dataclass(frozen=True)
class IdentityFacts:
    number: str  # normalised
    gender: str | None  # derived, or None when the ID type carries none
    birth_date: datetime.date | None


def normalize_id_number(number: str) -> str:
    """Full-width characters from a Chinese input method become ASCII (１２Ｘ → 12X)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", number or "")).upper()


def validate_name(value: str) -> str:
    value = (value or "").strip()
    if "[" in value or "]" in value:
        if not _CHINESE_NAME.match(value):
            raise ValidationError(
                _("Write a rare character as one homophone in square brackets, for example 王晓[沛]."),
                code="name_brackets",
            )
        # A bracket stands for one character of a name the rest of which can be typed.
        typed = _BRACKETED.sub("", value).replace("·", "")
        if not typed or len(_BRACKETED.sub("字", value).replace("·", "")) < 2:
            raise ValidationError(
                _("A name has at least two characters and only a character you cannot type goes in brackets, "
                  "for example 王晓[沛]."),
                code="name_brackets",
            )
    if not (_CHINESE_NAME.match(value) or _FOREIGN_NAME.match(value)) or len(value) < 2:
        raise ValidationError(
            _("Enter your real name as on your ID: Chinese characters, or Latin letters for a foreign name."),
            code="name_invalid",
        )
    return value


def validate_mobile(value: str) -> str:
    value = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value or ""))
    if value.startswith("+86"):
        value = value[3:]
    if not _MOBILE.match(value):
        raise ValidationError(_("Enter an 11-digit mainland China mobile number."), code="mobile_invalid")
    return value


def _gb11643_facts(number: str, *, permit: bool) -> IdentityFacts:
    """Shared by the resident ID and the residence permit (same structure, ISO 7064 MOD 11-2)."""
    if len(number) != 18:
        raise ValidationError(_("The number must have 18 characters."), code="id_length")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise ValidationError(_("The number has 17 digits followed by a digit or X."), code="id_format")
    if permit:
        if number[:2] not in RESIDENCE_PERMIT_AREAS:
            raise ValidationError(
                _("A residence permit number starts with 81, 82 or 83."), code="id_area"
            )
        if not mod_11_2.is_valid(number):
            raise ValidationError(_("The check digit does not match: please check the number."), code="id_checksum")
    else:
        if number[:2] in RESIDENCE_PERMIT_AREAS:
            raise ValidationError(
                _("This is a residence permit number: choose the ID type for Hong Kong, Macao and Taiwan residents."),
                code="id_is_permit",
            )
        try:
            ric.validate(number)
        except stdnum_errors.InvalidChecksum:
            raise ValidationError(_("The check digit does not match: please check the number."), code="id_checksum")
        except (stdnum_errors.InvalidComponent, KeyError):
            pass  # date or area: told apart below, with a precise message
        except stdnum_errors.ValidationError:
            raise ValidationError(_("This is not a valid resident ID number."), code="id_invalid")
    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date in the number does not exist."), code="id_birth_date")
    today = timezone.localdate()
    if birth_date > today:
        raise ValidationError(_("The birth date in the number is in the future."), code="id_birth_future")
    if birth_date.year < today.year - OLDEST_PLAUSIBLE_AGE:
        raise ValidationError(_("The birth date in the number is not plausible."), code="id_birth_implausible")
    if not permit and not division_code_known(number[:6]):
        raise ValidationError(_("The region code in the number does not exist."), code="id_area")
    gender = Gender.MALE if int(number[16]) % 2 else Gender.FEMALE
    return IdentityFacts(number=number, gender=gender, birth_date=birth_date)


def check_id_number(id_type: str, raw_number: str) -> IdentityFacts:
    """Validate an ID number for its type; derive gender and birth date where the number holds them."""
    number = normalize_id_number(raw_number)
    if not number:
        raise ValidationError(_("Enter the ID number."), code="required")
    if id_type == IdType.RESIDENT_ID:
        return _gb11643_facts(number, permit=False)
    if id_type == IdType.RESIDENCE_PERMIT:
        return _gb11643_facts(number, permit=True)
    if id_type in _OTHER_ID_FORMATS:
        pattern, message = _OTHER_ID_FORMATS[id_type]
        if not pattern.match(number):
            raise ValidationError(message, code="id_format")
        return IdentityFacts(number=number, gender=None, birth_date=None)
    raise ValidationError(_("Choose a valid ID type."), code="id_type")
