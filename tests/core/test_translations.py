from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.urls import reverse

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_chinese_catalogue_is_complete():
    with PO.open("rb") as po:
        catalog = read_po(po)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []


@pytest.mark.django_db
def test_pages_are_chinese_by_default_and_english_on_request(client):
    assert "个人登录" in client.get(reverse("account_login")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("account_login")).content.decode()
    assert "Individual login" in page and "个人登录" not in page
