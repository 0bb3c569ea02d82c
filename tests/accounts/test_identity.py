"""Identity rules (SPEC A1, A2): resident ID and residence permit numbers, other ID formats,
real names with rare characters, mobiles."""
import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from stdnum.cn import ric
from stdnum.iso7064 import mod_11_2

from accounts.demo import resident_id
from accounts.identity import check_id_number, validate_mobile, validate_name
from accounts.models import Gender, IdType

SHANGHAI = ZoneInfo("Asia/Shanghai")
BEIJING_DONGCHENG = "110101"


def with_check_digit(body17: str) -> str:
    """A GB 11643 number with a correct check digit, whatever its body (even an impossible date)."""
    return body17 + ric.calc_check_digit(body17 + "0")


def permit_number(area: str, birth: datetime.date, sequence: int) -> str:
    """A residence permit number for Hong Kong (81), Macao (82) or Taiwan (83) residents."""
    body = f"{area}0000{birth:%Y%m%d}{sequence:03d}"
    return body + mod_11_2.calc_check_digit(body)


def full_width(text: str) -> str:
    """The same digits as a Chinese input method in full-width mode types them: 0 → ０."""
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


def rejection(id_type, number) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_id_number(id_type, number)
    return info.value


# --------------------------------------------------------------------------- resident ID card


@pytest.mark.parametrize(
    ("sequence", "gender"),
    [(451, Gender.MALE), (452, Gender.FEMALE), (123, Gender.MALE), (998, Gender.FEMALE)],
)
def test_resident_id_gives_gender_from_the_17th_digit_and_the_birth_date(sequence, gender):
    number = resident_id(BEIJING_DONGCHENG, datetime.date(1990, 3, 7), sequence)

    facts = check_id_number(IdType.RESIDENT_ID, number)

    assert facts.number == number
    assert facts.gender == gender
    assert facts.birth_date == datetime.date(1990, 3, 7)


def test_resident_id_with_a_wrong_check_digit_is_rejected():
    number = resident_id(BEIJING_DONGCHENG, datetime.date(1990, 3, 7), 451)
    for wrong in "0123456789X":
        if wrong == number[-1]:
            continue
        error = rejection(IdType.RESIDENT_ID, number[:-1] + wrong)
        assert error.code == "id_checksum"
        assert "校验位" in error.messages[0]  # "check digit"


@pytest.mark.parametrize(
    "number",
    [
        "11010119900307451",  # 17 characters
        "1101011990030745141",  # 19 characters
        "110101900307451",  # the old 15-digit card
    ],
)
def test_resident_id_of_the_wrong_length_is_rejected(number):
    assert rejection(IdType.RESIDENT_ID, number).code == "id_length"


@pytest.mark.parametrize(
    "number",
    [
        "1101011990O3074514",  # letter O instead of zero
        "11010119900307X514",  # X anywhere but last
        "110101-19900307451",  # punctuation
    ],
)
def test_resident_id_with_letters_or_symbols_in_the_digits_is_rejected(number):
    assert rejection(IdType.RESIDENT_ID, number).code == "id_format"


@pytest.mark.parametrize("birth", ["19900230", "19990229", "19901301", "19900431", "19900000"])
def test_resident_id_with_a_date_that_does_not_exist_is_rejected(birth):
    number = with_check_digit(f"{BEIJING_DONGCHENG}{birth}451")

    error = rejection(IdType.RESIDENT_ID, number)

    assert error.code == "id_birth_date"
    assert "出生日期不存在" in error.messages[0]


def test_resident_id_born_on_29_february_of_a_leap_year_is_accepted():
    number = resident_id(BEIJING_DONGCHENG, datetime.date(2000, 2, 29), 451)

    assert check_id_number(IdType.RESIDENT_ID, number).birth_date == datetime.date(2000, 2, 29)


def test_resident_id_born_tomorrow_is_rejected_and_born_today_accepted_in_china_time():
    # 01:00 in Shanghai is still the previous day in UTC: "today" is the local date.
    with time_machine.travel(datetime.datetime(2026, 3, 7, 1, 0, tzinfo=SHANGHAI), tick=False):
        tomorrow = resident_id(BEIJING_DONGCHENG, datetime.date(2026, 3, 8), 451)
        today = resident_id(BEIJING_DONGCHENG, datetime.date(2026, 3, 7), 451)

        assert rejection(IdType.RESIDENT_ID, tomorrow).code == "id_birth_future"
        assert check_id_number(IdType.RESIDENT_ID, today).birth_date == datetime.date(2026, 3, 7)


def test_resident_id_with_a_birth_date_after_today_is_rejected():
    future = datetime.date.today() + datetime.timedelta(days=400)
    number = resident_id(BEIJING_DONGCHENG, future, 451)

    error = rejection(IdType.RESIDENT_ID, number)

    assert error.code == "id_birth_future"
    assert "晚于今天" in error.messages[0]  # "later than today"


def test_resident_id_of_someone_older_than_120_is_implausible():
    with time_machine.travel(datetime.datetime(2026, 1, 10, 12, 0, tzinfo=SHANGHAI), tick=False):
        aged_120_and_a_half = resident_id(BEIJING_DONGCHENG, datetime.date(1905, 6, 1), 451)
        aged_119_and_a_half = resident_id(BEIJING_DONGCHENG, datetime.date(1906, 6, 1), 451)
        aged_126 = resident_id(BEIJING_DONGCHENG, datetime.date(1900, 1, 1), 451)

        assert rejection(IdType.RESIDENT_ID, aged_120_and_a_half).code == "id_birth_implausible"
        assert rejection(IdType.RESIDENT_ID, aged_126).code == "id_birth_implausible"
        assert check_id_number(IdType.RESIDENT_ID, aged_119_and_a_half).birth_date == datetime.date(1906, 6, 1)


@pytest.mark.parametrize("area", [
    "999999",
    "000000",
    "119999",
])
def test_resident_id_with_an_unknown_region_code_is_rejected(area):
    number = resident_id(area, datetime.date(1990, 3, 7), 451)

    error = rejection(IdType.RESIDENT_ID, number)

    assert error.code == "id_area"
    assert "地区代码" in error.messages[0]  # "region code"


def gb11643(area: str, birth: str, sequence: str) -> str:
    """A resident ID number with its GB 11643 check digit (ISO 7064 MOD 11-2), computed here."""
    body = area + birth + sequence
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(body))
    return body + "10X98765432"[total % 11]


@pytest.mark.parametrize(("area", "birth"), [
    ("310115", "19800101"),  # 上海浦东新区, code of 1992
    ("440306", "19880615"),  # 深圳宝安区, code of 1992
    ("110112", "19800220"),  # 北京通州区, code of 1997
    ("320583", "19800101"),  # 昆山市, code of 1989
    ("110103", "20150101"),  # 北京崇文区, merged into 东城区 in 2010
    ("120110", "19850101"),  # 天津 东郊区 until 1991, then 东丽区
])
def test_resident_id_is_accepted_whenever_its_region_code_exists_or_existed(area, birth):
    """Issue 12.4: people keep their number when their county is renamed, split or merged, and a
    county created after they were born may have issued it; the code's history does not matter."""
    number = gb11643(area, birth, "451")
    assert number == with_check_digit(number[:17])

    facts = check_id_number(IdType.RESIDENT_ID, number)

    assert facts.number == number
    assert facts.birth_date == datetime.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))


def test_resident_id_rules_other_than_the_region_still_hold_for_a_later_county_code():
    assert rejection(IdType.RESIDENT_ID, gb11643("310115", "19800230", "451")).code == "id_birth_date"
    wrong = gb11643("310115", "19800101", "451")
    wrong = wrong[:-1] + ("0" if wrong[-1] != "0" else "1")
    assert rejection(IdType.RESIDENT_ID, wrong).code == "id_checksum"
    assert rejection(IdType.RESIDENT_ID, gb11643("319999", "19800101", "451")).code == "id_area"


def test_resident_id_with_a_lowercase_x_is_normalised_to_uppercase():
    number = resident_id(BEIJING_DONGCHENG, datetime.date(1990, 3, 7), 109)
    assert number.endswith("X")

    facts = check_id_number(IdType.RESIDENT_ID, "  " + number[:6] + " " + number[6:].lower() + " ")

    assert facts.number == number
    assert facts.gender == Gender.MALE


def test_empty_id_number_is_required():
    assert rejection(IdType.RESIDENT_ID, "   ").code == "required"


def test_unknown_id_type_is_rejected():
    number = resident_id(BEIJING_DONGCHENG, datetime.date(1990, 3, 7), 451)
    assert rejection("driving_licence", number).code == "id_type"


# --------------------------------------------------------------------------- residence permit (81/82/83)


@pytest.mark.parametrize("area", ["81", "82", "83"])
def test_residence_permit_number_is_refused_as_a_resident_id_pointing_to_the_permit_type(area):
    number = permit_number(area, datetime.date(1990, 3, 7), 123)

    error = rejection(IdType.RESIDENT_ID, number)

    assert error.code == "id_is_permit"
    # "This is a residence permit number: choose the ID type for Hong Kong, Macao and Taiwan residents."
    assert "港澳台居民居住证" in error.messages[0]


@pytest.mark.parametrize(("area", "sequence", "gender"), [("81", 123, Gender.MALE), ("82", 124, Gender.FEMALE),
                                                          ("83", 457, Gender.MALE)])
def test_residence_permit_number_is_accepted_with_gender_and_birth_date(area, sequence, gender):
    number = permit_number(area, datetime.date(1988, 11, 30), sequence)

    facts = check_id_number(IdType.RESIDENCE_PERMIT, number)

    assert facts.number == number
    assert facts.gender == gender
    assert facts.birth_date == datetime.date(1988, 11, 30)


def test_residence_permit_with_a_wrong_check_digit_is_rejected():
    number = permit_number("81", datetime.date(1990, 3, 7), 123)
    wrong = "0" if number[-1] != "0" else "1"

    assert rejection(IdType.RESIDENCE_PERMIT, number[:-1] + wrong).code == "id_checksum"


def test_resident_id_is_not_accepted_as_a_residence_permit():
    number = resident_id(BEIJING_DONGCHENG, datetime.date(1990, 3, 7), 451)

    error = rejection(IdType.RESIDENCE_PERMIT, number)

    assert error.code == "id_area"
    assert "81、82或83" in error.messages[0]


def test_residence_permit_with_an_impossible_birth_date_is_rejected():
    body = "810000" + "19900230" + "123"
    number = body + mod_11_2.calc_check_digit(body)

    assert rejection(IdType.RESIDENCE_PERMIT, number).code == "id_birth_date"


# --------------------------------------------------------------------------- other ID types


@pytest.mark.parametrize(
    ("id_type", "raw", "number"),
    [
        (IdType.PASSPORT, "E12345678", "E12345678"),
        (IdType.PASSPORT, "e 1234 5678", "E12345678"),
        (IdType.PASSPORT, "K1234", "K1234"),
        (IdType.HK_MACAO_PERMIT, "H12345678", "H12345678"),
        (IdType.HK_MACAO_PERMIT, "m1234567801", "M1234567801"),
        (IdType.TAIWAN_PERMIT, "12345678", "12345678"),
        (IdType.TAIWAN_PERMIT, "1234567801", "1234567801"),
        (IdType.MILITARY_OFFICER, "南字第12345678号", "南字第12345678号"),
        (IdType.MILITARY_OFFICER, "北京字第1234号", "北京字第1234号"),
    ],
)
def test_other_id_formats_are_accepted_and_carry_no_gender_or_birth_date(id_type, raw, number):
    facts = check_id_number(id_type, raw)

    assert facts.number == number
    assert facts.gender is None
    assert facts.birth_date is None


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        (IdType.PASSPORT, "E123"),  # too short
        (IdType.PASSPORT, "E1234567890123456X"),  # 18 characters
        (IdType.PASSPORT, "E1234-5678"),
        (IdType.HK_MACAO_PERMIT, "X12345678"),
        (IdType.HK_MACAO_PERMIT, "H1234567"),
        (IdType.HK_MACAO_PERMIT, "H123456789"),  # 9 digits
        (IdType.TAIWAN_PERMIT, "1234567"),
        (IdType.TAIWAN_PERMIT, "123456789"),
        (IdType.TAIWAN_PERMIT, "T1234567"),
        (IdType.MILITARY_OFFICER, "南12345678"),
        (IdType.MILITARY_OFFICER, "南字第123号"),
        (IdType.MILITARY_OFFICER, "字第12345678号"),
    ],
)
def test_other_id_formats_reject_malformed_numbers(id_type, number):
    error = rejection(id_type, number)

    assert error.code == "id_format"


@pytest.mark.parametrize(
    ("id_type", "ascii_number"),
    [
        (IdType.RESIDENT_ID, resident_id(BEIJING_DONGCHENG, datetime.date(1990, 3, 7), 451)),
        (IdType.RESIDENT_ID, resident_id(BEIJING_DONGCHENG, datetime.date(1990, 3, 7), 109)),  # ends in X
        (IdType.RESIDENCE_PERMIT, permit_number("81", datetime.date(1990, 3, 7), 123)),
        (IdType.PASSPORT, "E12345678"),
        (IdType.HK_MACAO_PERMIT, "H12345678"),
        (IdType.TAIWAN_PERMIT, "12345678"),
        (IdType.MILITARY_OFFICER, "南字第12345678号"),
    ],
)
def test_number_typed_in_full_width_is_the_same_number_as_in_ascii(id_type, ascii_number):
    """A Chinese input method in full-width mode types ０-９ and Ｘ: a second spelling of one number
    would escape the one-account-per-ID rule."""
    typed = full_width(ascii_number).replace("X", "ｘ").replace("E", "Ｅ").replace("H", "Ｈ")

    assert check_id_number(id_type, typed).number == ascii_number


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    ["王晓[沛]", "[沛]晓明", "王[沛]明", "张伟", "阿依古丽·买买提", "𠮷野家", "John Smith", "O'Brien",
     "Jean-Luc Picard", "Mary Ann J. Smith"],
)
def test_real_names_are_accepted(name):
    assert validate_name(name) == name


def test_name_is_trimmed():
    assert validate_name("  王晓[沛] ") == "王晓[沛]"


@pytest.mark.parametrize("name", ["王[沛沛]", "王晓[", "王晓沛]", "王晓]沛[", "王[[沛]]", "王[]", "王[a]", "John [Smith]"])
def test_brackets_must_hold_exactly_one_chinese_character(name):
    with pytest.raises(ValidationError) as info:
        validate_name(name)
    assert info.value.code == "name_brackets"
    assert "王晓[沛]" in info.value.messages[0]


@pytest.mark.parametrize("name", ["张三1", "John2", "123", "王", "J", "", "王 晓", "王John", "张@三", "John_Smith"])
def test_names_with_digits_symbols_or_one_character_are_rejected(name):
    with pytest.raises(ValidationError) as info:
        validate_name(name)
    assert info.value.code == "name_invalid"


@pytest.mark.parametrize("name", ["··", "·王", "王·", "王··明"])
def test_separator_dot_only_joins_two_parts_of_a_name(name):
    with pytest.raises(ValidationError):
        validate_name(name)



# --------------------------------------------------------------------------- mobiles


@pytest.mark.parametrize(
    ("raw", "mobile"),
    [("13800138000", "13800138000"), ("+86 138 0013 8000", "13800138000"), ("138-0013-8000", "13800138000"),
     ("19912345678", "19912345678")],
)
def test_mainland_mobiles_are_accepted_without_separators(raw, mobile):
    assert validate_mobile(raw) == mobile


@pytest.mark.parametrize(
    "raw",
    ["1380013800", "138001380001", "12800138000", "23800138000", "010-12345678", "1380013800a", "", "+85291234567"],
)
def test_other_numbers_are_not_mobiles(raw):
    with pytest.raises(ValidationError) as info:
        validate_mobile(raw)
    assert info.value.code == "mobile_invalid"


@pytest.mark.parametrize("raw", ["13" + full_width("800138000"), full_width("13800138000")])
def test_mobile_typed_in_full_width_is_the_same_mobile_as_in_ascii(raw):
    assert validate_mobile(raw) == "13800138000"


def test_mobile_with_digits_of_another_script_is_rejected():
    with pytest.raises(ValidationError):
        validate_mobile("13" + "\u0668" * 9)  # Arabic-Indic eights
