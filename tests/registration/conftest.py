import pytest

from exams import demo
from exams.models import Area, Sitting
from tests.accounts.factories import EducationFactory, UserFactory
from tests.photos.factories import approved_photo


@pytest.fixture
def exam(db):
    """The demo exam: open now, two sittings, nine areas (北京 and 上海 nearly full)."""
    return demo.seed()


@pytest.fixture
def sittings(exam):
    return list(Sitting.objects.filter(exam=exam).order_by("starts_at"))


@pytest.fixture
def area(exam):
    return Area.objects.get(name="济南")


@pytest.fixture
def candidate(db):
    user = UserFactory(name="李雷")
    EducationFactory(user=user)
    approved_photo(user)
    return user


@pytest.fixture
def logged_in(client, candidate):
    client.force_login(candidate)
    return client


INFO = {"nationality": "CN", "ethnicity": "01", "residence_city": "济南市历下区", "education_level": "bachelor",
        "mobile": "13800138000", "mailing_address": "济南市历下区经十路 1 号", "email": "lilei@example.org",
        "invoice_wanted": "False"}
