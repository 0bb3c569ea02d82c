from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import CaptchaMixin


class PhotoUploadForm(CaptchaMixin):
    photo = forms.FileField(
        label=_("ID photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,.jpg,.jpeg"}),
        help_text=_("JPG or JPEG only. The check runs on our server within seconds; you see the result here."),
    )
    field_order = ["photo", "captcha"]
