"""The plain-text rule in Django admin (issue 13's remaining gap): what staff type ends up in PDFs,
rosters and candidates' pages, so control, text-direction and zero-width characters are refused next
to the field there too, and nothing is saved."""
import pytest
from django.urls import reverse

from exams.models import Area
from tests.staff.conftest import staff_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["济南\u202e南济", "济南\x1b[31m", "济\u200b南"], ids=["bidi", "ESC", "zero-width"])
def test_an_area_named_with_invisible_characters_is_refused_next_to_the_field(client, name):
    client.force_login(staff_user("root", superuser=True))
    response = client.post(reverse("admin:exams_area_add"), {"name": name, "province": "37", "order": "1"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
    assert not Area.objects.filter(province="37", order=1).exists()
    response = client.post(reverse("admin:exams_area_add"), {"name": "济南", "province": "37", "order": "1"})
    assert response.status_code == 302 and Area.objects.get(province="37", order=1).name == "济南"


def test_a_reason_typed_in_an_admin_decision_follows_the_rule():
    from core.admin_workflow import ReasonForm

    form = ReasonForm({"reason": "材料\u202e不全"})
    assert not form.is_valid() and form.errors["reason"]
    assert ReasonForm({"reason": "材料不全\n请补充"}).is_valid()  # a reason may have several lines
