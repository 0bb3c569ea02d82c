from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class NotificationPreferencesForm(forms.Form):
    """消息设置: the inbox always gets every notice; these are the extra channels."""

    email = forms.BooleanField(label=_("Also send notices by e-mail"), required=False)
    sms = forms.BooleanField(label=_("Also send notices by SMS"), required=False,
                             help_text=_("Verification codes always come by SMS, whatever is chosen here."))
    language = forms.ChoiceField(label=_("Language of e-mails and SMS"), choices=settings.LANGUAGES)
