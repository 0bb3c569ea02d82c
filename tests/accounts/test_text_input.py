"""Typed text and dates on the account pages (issue 12.11): control characters, text-direction
controls and line breaks are refused next to the field, in Chinese (English on request), and
nothing is stored; implausible dates and a name that is only a bracketed character are refused."""
import datetime
import inspect

import pytest
from django import forms as django_forms
from django.urls import reverse
from django.utils import translation

import accounts.forms
import registration.forms
from accounts.models import EducationRecord, Qualification, User
from core.validators import PlainTextFormMixin
from tests.accounts.factories import PASSWORD, EducationFactory, UserFactory
from tests.accounts.helpers import signup_form_data, walk_to_form

pytestmark = pytest.mark.django_db

# What a probe typed, and the words of the Chinese message next to the field. A NUL never reaches a
# form through a request (core.security answers 400 first): the forms are tested with it directly.
BAD_TEXT = [
    pytest.param("北京\x1b[31m大学", "控制字符", id="ESC"),
    pytest.param("北京\u202e学大", "文字方向", id="right-to-left override"),
    pytest.param("北京\u2066大学\u2069", "文字方向", id="left-to-right isolate"),
    pytest.param("北京\u200f大学", "文字方向", id="right-to-left mark"),
    pytest.param("北京\r\n大学", "换行", id="CR LF"),
    pytest.param("北京\n大学", "换行", id="LF"),
    pytest.param("北京\u2028大学", "换行", id="line separator"),
    pytest.param("北京\t大学", "控制字符", id="TAB"),
    pytest.param("北京\x7f大学", "控制字符", id="DEL"),
    pytest.param("北京\x85大学", "控制字符", id="C1 next line"),
    pytest.param("北京\u200b大学", "零宽", id="zero-width space"),
    pytest.param("北京\ufeff大学", "零宽", id="byte-order mark"),
]


@pytest.fixture
def user(client):
    user = UserFactory(username="zhao01")
    EducationFactory(user=user)
    client.force_login(user)
    return user


def field_error(response, field) -> str:
    assert response.status_code == 200, "the form should have been shown again"
    return " ".join(response.context["form"].errors[field])


@pytest.mark.parametrize(("text", "words"), BAD_TEXT)
@pytest.mark.parametrize("field", ["school", "major", "certificate_number"])
def test_education_record_refuses_control_characters(client, user, field, text, words):
    data = {"level": "master", "degree": "master", "school": "清华大学", "major": "管理科学",
            "graduated_on": "2015-07-01", "certificate_number": "", field: text}

    response = client.post(reverse("accounts:education-add"), data)

    assert words in field_error(response, field)
    assert EducationRecord.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(("text", "words"), BAD_TEXT)
@pytest.mark.parametrize("field", ["name", "issuer", "certificate_number"])
def test_qualification_refuses_control_characters(client, user, field, text, words):
    data = {"name": "质量管理体系审核员", "issuer": "中国认证认可协会", "certificate_number": "2021-N1QMS-1234",
            field: text}

    response = client.post(reverse("accounts:qualification-add"), data)

    assert words in field_error(response, field)
    assert not Qualification.objects.exists()


@pytest.mark.parametrize(("text", "words"), BAD_TEXT)
def test_security_question_refuses_control_characters(client, user, text, words):
    response = client.post(reverse("accounts:security-question"),
                           {"question": text, "answer": "李梅", "password": PASSWORD})

    assert words in field_error(response, "question")
    assert User.objects.get(pk=user.pk).security_question == ""


@pytest.mark.parametrize(("form_class", "field", "data"), [
    (accounts.forms.QualificationForm, "name", {}),
    (accounts.forms.EducationForm, "school", {"level": "master", "major": "管理", "graduated_on": "2015-07-01"}),
    (registration.forms.ScoreReviewForm, "reason", {}),
])
def test_nul_character_has_a_correct_chinese_message_and_only_one(user, form_class, field, data):
    """Django's Chinese catalogue says 不允许是用空字符串 ("using an empty string is not allowed")."""
    kwargs = {"user": user} if form_class is registration.forms.ScoreReviewForm else {}
    form = form_class({**data, field: "审核\x00员"}, **kwargs)

    with translation.override("zh-hans"):
        assert form.errors[field] == ["不能包含空字符（NUL）。"]
    with translation.override("en"):
        assert form_class({**data, field: "x\x00"}, **kwargs).errors[field] == ["Null characters are not allowed."]


def test_messages_are_english_when_the_language_is_english(client, user):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    response = client.post(reverse("accounts:qualification-add"), {"name": "Auditor\u202e", "issuer": "A\x1bB"})

    assert "text-direction" in field_error(response, "name")
    assert "control characters" in field_error(response, "issuer")


def test_leading_and_trailing_line_breaks_are_trimmed_not_refused(client, user):
    response = client.post(reverse("accounts:qualification-add"), {"name": "\r\n质量管理体系审核员\r\n"})

    assert response.status_code == 302
    assert Qualification.objects.get().name == "质量管理体系审核员"


@pytest.mark.parametrize("text", ["Zhang Wei's 大学 (No. 1) — 北京·海淀", "😀 emoji", "Ünïcödé – café"])
def test_ordinary_text_is_accepted(client, user, text):
    response = client.post(reverse("accounts:qualification-add"), {"name": text})

    assert response.status_code == 302
    assert Qualification.objects.get().name == text


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(("issued_on", "words"), [
    ("9999-12-31", "不能晚于今天"),
    ((datetime.date.today() + datetime.timedelta(days=2)).isoformat(), "不能晚于今天"),
    ("1899-12-31", "1900"),
    ("0001-01-01", "1900"),
])
def test_qualification_issue_date_must_be_plausible(client, user, issued_on, words):
    response = client.post(reverse("accounts:qualification-add"), {"name": "审核员", "issued_on": issued_on})

    assert words in field_error(response, "issued_on")
    assert not Qualification.objects.exists()


def test_qualification_issued_today_or_in_1900_is_accepted(client, user):
    for issued_on in (datetime.date.today().isoformat(), "1900-01-01"):
        assert client.post(reverse("accounts:qualification-add"),
                           {"name": "审核员", "issued_on": issued_on}).status_code == 302
    assert Qualification.objects.count() == 2


def test_graduation_before_1900_is_refused(client, user):
    response = client.post(reverse("accounts:education-add"), {
        "level": "master", "degree": "master", "school": "清华大学", "major": "管理", "graduated_on": "1066-10-14"})

    assert "1900" in field_error(response, "graduated_on")


# --------------------------------------------------------------------------- sign-up


def test_signup_name_that_is_only_a_bracketed_character_is_refused(client):
    walk_to_form(client)

    response = client.post(reverse("accounts:signup-form"), signup_form_data(name="[沛]"))

    assert "王晓[沛]" in field_error(response, "name")


@pytest.mark.parametrize(("field", "text", "words"), [
    ("school", "山东\x1b大学", "控制字符"),
    ("major", "质量\u202e管理", "文字方向"),
    ("name", "张\u200f三", "文字方向"),
])
def test_signup_refuses_control_characters(client, field, text, words):
    walk_to_form(client)

    response = client.post(reverse("accounts:signup-form"), signup_form_data(**{field: text}))

    assert words in field_error(response, field)


def test_signup_birth_date_older_than_120_years_is_refused(client):
    walk_to_form(client)

    response = client.post(reverse("accounts:signup-form"), signup_form_data(
        id_type="passport", id_number="E12345678", gender="M", birth_date="1850-01-01"))

    assert "birth_date" in response.context["form"].errors


# --------------------------------------------------------------------------- every form


@pytest.mark.parametrize("module", [accounts.forms, registration.forms])
def test_every_form_a_person_fills_in_has_the_plain_text_rule(module):
    """A new form cannot forget the rule: each form class of these modules carries the mixin."""
    classes = [cls for _name, cls in inspect.getmembers(module, inspect.isclass)
               if issubclass(cls, django_forms.BaseForm) and cls.__module__ == module.__name__]
    assert classes
    assert [cls.__name__ for cls in classes if not issubclass(cls, PlainTextFormMixin)] == []
