"""The candidate's own pages (issue 14): the step tracker shows a step done only when it is (item 12,
SPEC D6), and 查看报考信息 shows everything the candidate entered and chose and everything that
followed, in a bounded number of queries, on a page that prints (item 14, SPEC D8)."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams.models import Subject
from payments import services as payment_services
from registration import services
from tests.payments.conftest import (
    ENTERPRISE,
    confirmed_enrollment,
    make_candidate,
    signed_notification,
)
from tests.registration.test_enrollment_services import info
from tests.staff.conftest import close_registration, staff_user

pytestmark = pytest.mark.django_db


def step(html: str, key: str) -> tuple[str, str]:
    """The tracker's <li> for a step: (its class, its text)."""
    match = re.search(rf'<li class="([^"]*)"[^>]*data-step="{key}">(.*?)</li>', html, re.DOTALL)
    assert match, f"no step {key}"
    return match.group(1), match.group(2)


def done(html: str, key: str) -> bool:
    css, text = step(html, key)
    shown = "done" in css.split() or "✓" in text
    assert shown == ("done" in css.split()) == ("✓" in text), (key, css, text)  # the mark and the colour agree
    return shown


def progress(client, enrollment) -> str:
    return client.get(reverse("registration:enrollment-progress", args=[enrollment.pk])).content.decode()


def create_order(enrollment, candidate):
    return payment_services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")


def pay(enrollment, candidate, on_commit):
    order = create_order(enrollment, candidate)
    with on_commit():
        payment_services.payment_notify(provider="sandbox", data=signed_notification(order))
    enrollment.refresh_from_db()
    assert enrollment.status == "enrolled"
    order.refresh_from_db()
    return order


# --------------------------------------------------------------------------- item 12: the step tracker


def test_the_payment_step_is_done_only_when_the_order_is_paid(logged_in, candidate, exam, sittings, area, on_commit):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area)
    page = progress(logged_in, enrollment)
    assert [done(page, key) for key in ("info", "subjects", "area", "confirm")] == [True, True, True, False]

    create_order(enrollment, candidate)  # seats held, order unpaid
    page = progress(logged_in, enrollment)
    assert "已生成订单，未支付" in page
    assert not done(page, "confirm"), "网上缴费 is shown done while the order is unpaid"
    # the confirmation page (where the tracker's 网上缴费 leads) says the same and leads on to the payment
    confirm = logged_in.get(reverse("registration:enrollment-confirm", args=[enrollment.pk])).content.decode()
    assert "✓" not in step(confirm, "confirm")[1]
    assert reverse("payments:payment-page", args=[enrollment.pk]) in confirm

    enrollment.refresh_from_db()
    with on_commit():
        payment_services.payment_notify(provider="sandbox", data=signed_notification(enrollment.orders.get()))
    assert done(progress(logged_in, enrollment), "confirm")


def test_a_refunded_registration_is_no_longer_shown_paid(logged_in, candidate, exam, sittings, area, on_commit):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area)
    pay(enrollment, candidate, on_commit)
    with on_commit():
        payment_services.refund_request(enrollment=enrollment, actor=candidate)
    page = progress(logged_in, enrollment)
    assert "已退费" in page and not done(page, "confirm")


def test_each_editing_step_is_done_only_once_saved(logged_in, candidate, exam, sittings, area):
    enrollment = services.enrollment_start(candidate=candidate, exam=exam)
    page = progress(logged_in, enrollment)
    assert [done(page, key) for key in ("info", "subjects", "area", "confirm")] == [False, False, False, False]

    services.enrollment_save_info(enrollment=enrollment, actor=candidate, data=info())
    page = progress(logged_in, enrollment)
    assert [done(page, key) for key in ("info", "subjects", "area", "confirm")] == [True, False, False, False]

    gb = Subject.objects.get(exam=exam, code="GB").pk
    services.enrollment_choose_subjects(enrollment=enrollment, actor=candidate,
                                        subject_by_sitting={sittings[0].pk: gb, sittings[1].pk: None})
    services.enrollment_choose_area(enrollment=enrollment, actor=candidate, area_id=area.pk)
    page = progress(logged_in, enrollment)
    assert [done(page, key) for key in ("info", "subjects", "area", "confirm")] == [True, True, True, False]

    # another sitting: the area must be chosen again for it, so that step is open again
    qms = Subject.objects.get(exam=exam, code="QMS").pk
    services.enrollment_choose_subjects(enrollment=enrollment, actor=candidate,
                                        subject_by_sitting={sittings[0].pk: gb, sittings[1].pk: qms})
    page = progress(logged_in, enrollment)
    assert [done(page, key) for key in ("info", "subjects", "area", "confirm")] == [True, True, False, False]


# --------------------------------------------------------------------------- item 14: 查看报考信息


def mine(client) -> str:
    response = client.get(reverse("registration:my-enrollments"))
    assert response.status_code == 200
    return response.content.decode()


def record(html: str, enrollment) -> str:
    match = re.search(rf'<section class="card mb-3 enrollment-record" data-testid="enrollment-{enrollment.pk}".*?</section>',
                      html, re.DOTALL)
    assert match, f"enrollment {enrollment.pk} is not on the page"
    return match.group(0)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_my_registration_shows_what_was_entered_and_chosen(logged_in, candidate, exam, sittings, area):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area, employer="济南某某认证咨询有限公司", **ENTERPRISE)
    page = mine(logged_in)
    shown = text(record(page, enrollment))
    for expected in ("中国", "汉族", "济南市历下区", "大学本科", "济南某某认证咨询有限公司", "138****8000",
                     "济南市历下区经十路 1 号", "lilei@example.org",
                     "企业", "91370102MA3C4X8Y2K",  # the invoice asked for
                     "第一场", "认证通用基础", "第二场", "QMS 基础知识", "80.00", "160.00", "济南",
                     "已确认，待缴费"):
        assert expected in shown, expected
    assert "13800138000" not in page  # masked like the profile page
    personal = text(re.search(r'data-testid="candidate".*?</section>', page, re.DOTALL).group(0))
    assert candidate.name in personal and candidate.id_number_masked in personal
    assert candidate.id_number not in page
    education = candidate.education_records.get()
    assert education.school in personal and education.major in personal


def test_my_registration_shows_order_payment_invoice_ticket_and_score(logged_in, candidate, exam, sittings, area,
                                                                      on_commit):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area, **ENTERPRISE)
    order = pay(enrollment, candidate, on_commit)
    close_registration(exam)
    services.tickets_allocate(exam=exam, actor=staff_user("boss", superuser=True))
    tickets = list(enrollment.tickets.order_by("sitting__starts_at"))
    report = services.scores_import(exam=exam, actor=None, rows=[{"准考证号": tickets[0].number, "成绩": "86.5"},
                                                                 {"准考证号": tickets[1].number, "成绩": "0"}])
    assert report.ok, report.errors

    shown = record(mine(logged_in), enrollment)
    words = text(shown)
    for expected in (order.number, "已支付", "沙箱支付平台", order.provider_trade_no, order.invoice.number, "已开具",
                     tickets[0].number, tickets[1].number, tickets[0].venue.name, "86.5", "报名成功"):
        assert expected in words, expected
    assert re.search(rf'data-testid="record-score-{tickets[1].number}">\s*0\.0\s*<', shown), "a zero is a score"
    assert reverse("payments:invoice-pdf", args=[order.invoice.number]) in shown
    assert reverse("registration:registration-form-pdf", args=[enrollment.pk]) in shown


def test_the_page_prints_without_its_buttons(logged_in, candidate, exam, sittings, area, on_commit):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area, **ENTERPRISE)
    pay(enrollment, candidate, on_commit)
    shown = record(mine(logged_in), enrollment)
    links = re.findall(r"<a [^>]*>", shown)
    assert links
    for link in links:  # every link and button sits in something hidden on paper
        start = shown.index(link)
        opened = [m for m in re.finditer(r'<(\w+)[^>]*class="[^"]*\bd-print-none\b[^"]*"', shown[:start])]
        assert opened, f"{link} is printed"
    for table in re.findall(r"<table [^>]*>", shown):
        assert "table-stack" in table, table


def test_payment_is_offered_as_the_workflow_allows(logged_in, candidate, exam, sittings, area, on_commit):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area)
    pay_link = reverse("payments:payment-page", args=[enrollment.pk])
    assert 'data-testid="record-pay"' in record(mine(logged_in), enrollment)  # confirmed: take the seats
    create_order(enrollment, candidate)
    assert 'data-testid="record-pay"' in record(mine(logged_in), enrollment)  # an open order
    enrollment.refresh_from_db()
    with on_commit():
        payment_services.payment_notify(provider="sandbox", data=signed_notification(enrollment.orders.get()))
    shown = record(mine(logged_in), enrollment)
    assert 'data-testid="record-pay"' not in shown and pay_link not in shown  # paid: nothing to pay


def test_another_candidates_registrations_are_not_shown(client, candidate, exam, sittings, area):
    enrollment = confirmed_enrollment(candidate, exam, sittings, area, **ENTERPRISE)
    client.force_login(make_candidate("韩梅梅"))
    page = mine(client)
    assert f"enrollment-{enrollment.pk}" not in page and "91370102MA3C4X8Y2K" not in page


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        mine(client)
    return len(captured)


def test_the_page_asks_the_database_a_fixed_number_of_times(client, candidate, exam, sittings, area, on_commit,
                                                            django_assert_max_num_queries):
    """Three registrations (refunded, withdrawn, paid with tickets and scores) cost what one does."""
    first = confirmed_enrollment(candidate, exam, sittings, area, **ENTERPRISE)
    pay(first, candidate, on_commit)
    with on_commit():
        payment_services.refund_request(enrollment=first, actor=candidate)
    second = services.enrollment_start(candidate=candidate, exam=exam)
    services.enrollment_withdraw(enrollment=second, actor=candidate)
    third = confirmed_enrollment(candidate, exam, sittings, area, invoice_wanted=True, invoice_type="personal")
    pay(third, candidate, on_commit)
    other = make_candidate("韩梅梅")
    pay(confirmed_enrollment(other, exam, sittings, area), other, on_commit)
    close_registration(exam)
    services.tickets_allocate(exam=exam, actor=staff_user("boss", superuser=True))
    services.scores_import(exam=exam, actor=None, rows=[{"准考证号": number, "成绩": "75"} for number in
                                                         third.tickets.values_list("number", flat=True)])

    client.force_login(other)
    one = queries(client)
    client.force_login(candidate)
    three = queries(client)
    assert three == one, f"{three} queries for three registrations, {one} for one"
    # the session, the user, then one query each: enrollments, choices, orders, invoices, refunds,
    # tickets (with sittings, subjects, venues and scores), score reviews, education records
    with django_assert_max_num_queries(10):
        page = mine(client)
    assert all(f"enrollment-{e.pk}" in page for e in (first, second, third))
