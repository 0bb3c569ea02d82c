import copy

from allauth.account import forms as allauth_forms
from captcha.fields import CaptchaField
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.http import client_ip
from core.validators import PlainTextFormMixin, validate_past_date

from . import services
from .exceptions import DuplicateAccount
from .identity import OLDEST_PLAUSIBLE_AGE, check_id_number, normalize_id_number, validate_mobile, validate_name
from .models import DegreeLevel, EducationLevel, EducationRecord, Gender, IdType, Qualification, User

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


GRADUATION_IN_FUTURE = _("The graduation date cannot be in the future.")
# What a throttled address is told (accounts.services.auth_address_throttled).
PICTURE_CODE_AGAIN = _("Many failed attempts came from your network. Type the characters in the new picture to "
                       "continue.")
PICTURE_CODE_SOLVED_AGAIN = "login_picture_code_solved_again"  # session key


class CaptchaMixin(PlainTextFormMixin, forms.Form):
    captcha = CaptchaField(
        label=_("Picture code"),
        help_text=_("Type the characters in the picture; click the picture for a new one."),
        error_messages={"invalid": _("The picture code is wrong. Type the characters in the new picture.")},
    )


def _password_pair(form, user) -> None:
    """Shared by every form that sets a password: both entries equal, Django's validators pass."""
    p1, p2 = form.cleaned_data.get("password1"), form.cleaned_data.get("password2")
    if p1 and p2 and p1 != p2:
        form.add_error("password2", _("The two passwords differ."))
    elif p1:
        try:
            password_validation.validate_password(p1, user)
        except ValidationError as exc:
            form.add_error("password1", exc)


class PasswordPairFields(PlainTextFormMixin, forms.Form):
    password1 = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("New password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class NameField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Real name"))
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault(
            "help_text", _("As on your ID. Write a character you cannot type as a homophone in brackets: 王晓[沛].")
        )
        super().__init__(**kwargs)

    def clean(self, value):
        return validate_name(super().clean(value))


class MobileField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def clean(self, value):
        return validate_mobile(super().clean(value))


class IdentityFields(PlainTextFormMixin, forms.Form):
    """Name, ID type and number, checked per type."""

    name = NameField()
    id_type = forms.ChoiceField(label=_("ID type"), choices=IdType.choices, initial=IdType.RESIDENT_ID)
    id_number = forms.CharField(label=_("ID number"), max_length=40)

    def clean(self):
        data = super().clean()
        id_type, number = data.get("id_type"), data.get("id_number")
        if id_type and number:
            try:
                self.identity = check_id_number(id_type, number)
                data["id_number"] = self.identity.number
            except ValidationError as exc:
                self.add_error("id_number", exc)
        return data


class SignupForm(CaptchaMixin, PasswordPairFields, IdentityFields):
    """注册: the account, the identity and one education record."""

    field_order = [
        "username", "password1", "password2", "name", "id_type", "id_number", "gender", "birth_date",
        "email", "mobile", "education_level", "degree", "school", "major", "graduated_on", "captcha",
    ]
    username = forms.CharField(
        label=_("Username"), max_length=30,
        validators=[RegexValidator(r"^[A-Za-z][A-Za-z0-9_]{5,29}$",
                                   _("6 to 30 letters, digits or _, starting with a letter."))],
        help_text=_("6 to 30 letters, digits or _, starting with a letter."),
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "---------")] + Gender.choices, required=False,
        help_text=_("Read from a resident ID or residence permit number; required for other ID types."),
    )
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=DATE_INPUT,
        help_text=_("Read from a resident ID or residence permit number; required for other ID types."),
    )
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    mobile = MobileField(help_text=_("One mobile number binds one account; a code will be sent to it."))
    education_level = forms.ChoiceField(label=_("Education"), choices=EducationLevel.choices)
    degree = forms.ChoiceField(label=_("Degree"), choices=DegreeLevel.choices, initial=DegreeLevel.NONE)
    school = forms.CharField(label=_("School"), max_length=100)
    major = forms.CharField(label=_("Major"), max_length=100)
    graduated_on = forms.DateField(label=_("Graduation date"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = _("Password")
        self.fields["password2"].label = _("Password again")

    def clean(self):
        data = super().clean()
        identity = getattr(self, "identity", None)
        if identity is not None and identity.birth_date is not None:
            data["gender"], data["birth_date"] = identity.gender, identity.birth_date
        elif identity is not None:
            if not data.get("gender"):
                self.add_error("gender", _("Choose your gender."))
            birth_date = data.get("birth_date")
            if not birth_date:
                self.add_error("birth_date", _("Enter your birth date."))
            elif birth_date >= timezone.localdate():
                self.add_error("birth_date", _("The birth date must be in the past."))
            elif birth_date.year < timezone.localdate().year - OLDEST_PLAUSIBLE_AGE:
                self.add_error("birth_date", _("The birth date is not plausible."))
        try:
            validate_past_date(data.get("graduated_on"), future_message=GRADUATION_IN_FUTURE)
        except ValidationError as exc:
            self.add_error("graduated_on", exc)
        _password_pair(self, User(username=data.get("username", ""), email=data.get("email", ""),
                                  name=data.get("name", "")))
        if not self.errors:
            try:
                services.signup_check_available(
                    username=data["username"], id_type=data["id_type"], id_number=data["id_number"],
                    mobile=data["mobile"], email=data["email"],
                )
            except DuplicateAccount as exc:
                self.add_error(exc.field, exc.message)
        return data


class SignupConfirmForm(IdentityFields):
    """二次确认: the identity typed again must equal the first entry."""

    def __init__(self, *args, expected: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data["name"] != self.expected["name"]:
            self.add_error("name", _("The name differs from the one you entered before."))
        if data["id_type"] != self.expected["id_type"]:
            self.add_error("id_type", _("The ID type differs from the one you entered before."))
        if normalize_id_number(data["id_number"]) != normalize_id_number(self.expected["id_number"]):
            self.add_error("id_number", _("The ID number differs from the one you entered before."))
        return data


class CodeForm(PlainTextFormMixin, forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class LoginForm(CaptchaMixin, allauth_forms.LoginForm):
    """Password login with a picture code; `entry` tells individual from institution login."""

    ENTRY_CHOICES = [("individual", _("Individual login")), ("institution", _("Institution login"))]
    entry = forms.ChoiceField(choices=ENTRY_CHOICES, widget=forms.HiddenInput, initial="individual")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Username, e-mail or mobile")
        self.fields["login"].widget.attrs["placeholder"] = _("Username, e-mail or mobile")
        self.fields.pop("remember", None)

    def clean(self):
        # The picture code first: no password is tried without it.
        if self.errors.get("captcha") or self.errors.get("entry"):
            return self.cleaned_data
        if self._picture_code_asked_again():
            return self.cleaned_data
        data = super().clean()
        user = getattr(self, "user", None)
        if user is not None and not self.errors:
            wanted = "institution" if data.get("entry") == "institution" else "individual"
            if user.kind != wanted:
                raise ValidationError(
                    _("This is an institution account: use the institution login.") if wanted == "individual"
                    else _("This is an individual account: use the individual login.")
                )
        return data


    def _picture_code_asked_again(self) -> bool:
        """From an address with many failures, every other submission only solves a new picture code:
        slower for a password-guessing robot, one more picture for a person, and nobody's right
        password is refused for the address alone."""
        request = self.request
        if request is None or not services.auth_address_throttled(ip=client_ip(request)):
            return False
        if request.session.pop(PICTURE_CODE_SOLVED_AGAIN, False):
            return False
        request.session[PICTURE_CODE_SOLVED_AGAIN] = True
        self.add_error("captcha", PICTURE_CODE_AGAIN)
        return True


class PasswordResetForm(CaptchaMixin, allauth_forms.ResetPasswordForm):
    pass


class RecoverBySmsForm(CaptchaMixin, IdentityFields):
    mobile = MobileField(help_text=_("The mobile number bound to the account."))


class RecoverIdentityForm(CaptchaMixin, IdentityFields):
    pass


class NewPasswordForUser(PasswordPairFields):
    """A new password for a known account (checked against it by Django's validators)."""

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        _password_pair(self, self.user)
        return data


class CodePasswordForm(NewPasswordForUser, CodeForm):
    field_order = ["code", "password1", "password2"]


class AnswerPasswordForm(NewPasswordForUser):
    answer = forms.CharField(label=_("Answer"), max_length=100)
    field_order = ["answer", "password1", "password2"]

    def __init__(self, *args, picture_code: bool = False, **kwargs):
        """`picture_code`: the address is throttled, so each answer needs a picture code again."""
        super().__init__(*args, **kwargs)
        if picture_code:
            self.fields["captcha"] = copy.deepcopy(CaptchaMixin.base_fields["captcha"])
            self.fields["captcha"].help_text = PICTURE_CODE_AGAIN


class MobileChangeForm(PlainTextFormMixin, forms.Form):
    mobile = MobileField(label=_("New mobile number"))
    code = forms.CharField(label=_("Verification code"), max_length=6, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class SecurityQuestionForm(PlainTextFormMixin, forms.Form):
    question = forms.CharField(label=_("Security question"), max_length=100,
                               help_text=_("A question only you can answer, e.g. your primary school's name."))
    answer = forms.CharField(label=_("Answer"), max_length=100)
    password = forms.CharField(label=_("Current password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("The password is not correct."))
        return password


class EmailChangeForm(PlainTextFormMixin, forms.Form):
    email = forms.EmailField(label=_("New e-mail address"), max_length=254)


class EmailChangeConfirmForm(PlainTextFormMixin, forms.Form):
    old_code = forms.CharField(label=_("Code sent to the current address"), max_length=6)
    new_code = forms.CharField(label=_("Code sent to the new address"), max_length=6)

    def __init__(self, *args, has_old: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_old:
            del self.fields["old_code"]


class EducationForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = EducationRecord
        fields = ["level", "degree", "school", "major", "graduated_on", "certificate_number"]
        widgets = {"graduated_on": DATE_INPUT}

    def clean_graduated_on(self):
        value = self.cleaned_data["graduated_on"]
        validate_past_date(value, future_message=GRADUATION_IN_FUTURE)
        return value


class QualificationForm(PlainTextFormMixin, forms.ModelForm):
    class Meta:
        model = Qualification
        fields = ["name", "certificate_number", "issuer", "issued_on"]
        widgets = {"issued_on": DATE_INPUT}

    def clean_issued_on(self):
        value = self.cleaned_data["issued_on"]
        validate_past_date(value, future_message=_("The issue date cannot be in the future."))
        return value
