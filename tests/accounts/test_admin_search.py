"""Staff find a candidate's rows by whatever they have in hand (issue 14.6, SPEC F1): the full ID number
(found through its keyed hash: the number itself is stored encrypted), an order number, an admission
ticket number, the name or the mobile, in every admin list where a candidate appears. Before, the
enrollment list found neither an ID number nor an order number, and most lists found no ID number."""
import csv
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

PAGES = {  # admin list → the rows of a candidate
    "accounts_user": lambda user: user.__class__.objects.filter(pk=user.pk),
    "registration_enrollment": lambda user: user.enrollments.all(),
    "registration_admissionticket": lambda user: _tickets(user),
    "registration_score": lambda user: _scores(user),
    "registration_scorereview": lambda user: user.score_reviews.all(),
    "payments_order": lambda user: user.orders.all(),
    "payments_payment": lambda user: _model("payments.Payment").objects.filter(order__candidate=user),
    "payments_refund": lambda user: user.refunds.all(),
    "payments_invoice": lambda user: _model("payments.Invoice").objects.filter(order__candidate=user),
    "photos_photo": lambda user: user.photos.all(),
}
# Lists of one ticket's rows: searching a ticket number finds that ticket's rows only.
PER_TICKET = {"registration_admissionticket", "registration_score", "registration_scorereview"}


def _model(label):
    from django.apps import apps

    return apps.get_model(label)


def _tickets(user):
    return _model("registration.AdmissionTicket").objects.filter(enrollment__candidate=user)


def _scores(user):
    return _model("registration.Score").objects.filter(ticket__enrollment__candidate=user)


@pytest.fixture(scope="module")
def _people(django_db_setup, django_db_blocker):
    """The demo candidate 张伟 (济南, paid, invoice, tickets, photo) and 李娜, who registered and paid for
    the same exam and then moved to 天津 (outside the Shandong authority's province); both with scores,
    a score review and a refund request. Built once, rolled back at the module's end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)


def _build() -> dict:
    from accounts.models import User
    from exams.models import Area, Exam
    from payments.demo import register_and_pay
    from payments.models import Refund
    from registration import services
    from registration.models import AdmissionTicket, Enrollment, ScoreReview
    from tests.accounts.factories import EducationFactory, UserFactory
    from tests.staff.conftest import give_photo

    call_command("seed_demo", stdout=io.StringIO())
    zhang = User.objects.get(username="candidate")
    exam = Exam.objects.get(enrollments__candidate=zhang, name__endswith="（加考）")  # tickets, no scores yet
    li = UserFactory(username="lina", name="李娜", mobile="13912345678")
    EducationFactory(user=li)
    give_photo(li)
    enrollment = register_and_pay(li, exam)
    services.tickets_allocate(exam=exam, actor=None)
    Enrollment.objects.filter(pk=enrollment.pk).update(area=Area.objects.get(name="天津"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("准考证号", "科目", "成绩"))
    writer.writerows((t.number, "", "70") for t in AdmissionTicket.objects.filter(enrollment__exam=exam))
    assert services.scores_import(exam=exam, actor=None, rows=csv.DictReader(io.StringIO(out.getvalue()))).ok
    for person in (zhang, li):
        ticket = AdmissionTicket.objects.filter(enrollment__candidate=person, enrollment__exam=exam).order_by(
            "number").first()
        ScoreReview.objects.create(ticket=ticket, candidate=person, reason="分数与预估不符")
        order = person.orders.get(exam=exam)
        Refund.objects.create(payment=order.payments.get(), order=order, candidate=person, exam=exam,
                              amount=order.amount)
    return {"zhang": zhang.pk, "li": li.pk}


@pytest.fixture
def people(_people, db):
    from accounts.models import User

    return {key: User.objects.get(pk=pk) for key, pk in _people.items()}


def terms(user) -> dict[str, str]:
    ticket = _tickets(user).order_by("number").first()
    return {"name": user.name, "mobile": user.mobile, "ID number": user.id_number,
            "order number": user.orders.get(exam__name__endswith="（加考）").number, "ticket number": ticket.number}


def found(client: Client, page: str, term: str) -> set[int]:
    response = client.get(reverse(f"admin:{page}_changelist"), {"q": term})
    assert response.status_code == 200, (page, term)
    return {obj.pk for obj in response.context["cl"].result_list}


def superuser_client() -> Client:
    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="admin"))
    return client


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("kind", ["name", "mobile", "ID number", "order number", "ticket number"])
def test_every_list_finds_the_candidates_rows_by_what_staff_have(people, page, kind):
    client = superuser_client()
    for person, other in ((people["zhang"], people["li"]), (people["li"], people["zhang"])):
        term = terms(person)[kind]
        rows = PAGES[page](person)
        if kind == "ticket number" and page in PER_TICKET:
            rows = rows.filter(**{{"registration_admissionticket": "number",
                                   "registration_score": "ticket__number",
                                   "registration_scorereview": "ticket__number"}[page]: term})
        expected = set(rows.values_list("pk", flat=True))
        assert expected, (page, kind)  # the world has such rows
        result = found(client, page, term)
        assert result == expected, (page, kind, person.name)
        assert not result & set(PAGES[page](other).values_list("pk", flat=True))


def test_an_id_number_typed_with_a_chinese_input_method_is_found(people):
    """Full-width digits, spaces and a lower-case x: stored numbers are normalised, so is the search."""
    person = people["zhang"]
    number = person.id_number
    typed = " ".join([number[:6], number[6:14], number[14:]]).translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}).replace("X", "x")
    assert typed != number
    assert found(superuser_client(), "registration_enrollment", typed) == set(
        person.enrollments.values_list("pk", flat=True))


def test_a_part_of_an_id_number_finds_nothing_by_it(people):
    """Only a whole number is looked up (through its hash): a fragment never reveals whose number it is."""
    number = people["li"].id_number
    assert found(superuser_client(), "registration_enrollment", number[:-1]) == set()


def test_a_provincial_authority_finds_only_its_own_provinces_candidates(people):
    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="shandong"))
    zhang, li = people["zhang"], people["li"]  # 李娜 sits in 天津 now
    assert found(client, "registration_enrollment", zhang.id_number) == set(
        zhang.enrollments.values_list("pk", flat=True))
    assert found(client, "registration_enrollment", li.id_number) == set()
    assert found(client, "registration_enrollment", li.orders.get().number) == set()


def test_the_search_box_says_what_it_finds(people):
    client = superuser_client()
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:registration_enrollment_changelist")).content.decode()
    assert "full ID number, order number or admission-ticket number" in page
