"""The long selects rendered in Python say what Django's own Select says."""
import re

from django import forms
from django.utils import translation

from core.widgets import ListSelect

CHOICES = [("", "请选择"), ("CN", "中国"), ("HK", "中国香港"), ("x&y", "<b>\"x\"</b>"), ("{selected}", "{selected}")]


def options(html: str) -> list[tuple[str, bool, str]]:
    return [(value, bool(selected), label) for value, selected, label in
            re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)]


def select_attributes(html: str) -> set[str]:
    return set(re.match(r"<select([^>]*)>", html).group(1).split())


def render(widget, data, **field_options):
    class Form(forms.Form):
        field = forms.ChoiceField(choices=CHOICES, widget=widget, **field_options)

    return str(Form(data)["field"])


def test_same_options_attributes_and_escaping_as_django():
    for data in (None, {"field": "HK"}, {"field": "x&y"}, {"field": "{selected}"}, {"field": "nope"}):
        for required in (True, False):
            ours, django = render(ListSelect, data, required=required), render(forms.Select, data, required=required)
            assert options(ours) == options(django), data
            assert select_attributes(ours) == select_attributes(django)
    assert ("x&amp;y", True, "&lt;b&gt;&quot;x&quot;&lt;/b&gt;") in options(render(ListSelect, {"field": "x&y"}))


def test_labels_follow_the_language():
    from django.utils.translation import gettext_lazy as _

    class Form(forms.Form):
        field = forms.ChoiceField(choices=[("", _("Choose your ethnicity")), ("01", "汉族")], widget=ListSelect)

    with translation.override("en"):
        english = str(Form()["field"])
    with translation.override("zh-hans"):
        chinese = str(Form()["field"])
    assert "Choose your ethnicity" in english and "Choose your ethnicity" not in chinese
