"""Admin and the exports show what a person reads, not what is stored (issue 14.9): labels in the interface
language instead of codes (国籍 CN, 民族 01, the role groups' names, invoice type `enterprise`, a payment's
source), Beijing time instead of UTC (the audit history, the audit log's values, the roster's exam
times), and the product's name instead of "Django 管理" in the header of every staff page."""
import csv
import datetime
import io
import re

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from registration.rosters import HEADERS, RosterFilter
from registration.rosters import rows as roster_rows

UTC = datetime.UTC


@pytest.fixture(scope="module")
def _demo(django_db_setup, django_db_blocker):
    """seed_demo: the demo candidate registered (nationality CN, ethnicity 01, a personal invoice) and paid."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(_demo, db):
    from accounts.models import User

    return User.objects.get(username="candidate")


def as_user(username: str, language: str | None = None) -> Client:
    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    if language:
        client.cookies["django_language"] = language
    return client


def readonly(page: str, field: str) -> str:
    """The text admin shows for a read-only field of an object's page."""
    match = re.search(rf'field-{field}\b.*?<div class="readonly">(.*?)</div>', page, re.S)
    assert match, field
    return match.group(1).strip()


@pytest.mark.parametrize("language, nationality, ethnicity", [("zh-hans", "中国", "汉族"), ("en", "China", "Han")])
def test_nationality_and_ethnicity_by_their_names(demo, language, nationality, ethnicity):
    enrollment = demo.enrollments.get(exam__name__endswith="（加考）")
    assert (enrollment.nationality, enrollment.ethnicity) == ("CN", "01")
    page = as_user("staff", language).get(reverse("admin:registration_enrollment_change",
                                                  args=[enrollment.pk])).content.decode()
    assert readonly(page, "nationality_label") == nationality
    assert readonly(page, "ethnicity_label") == ethnicity


def test_roles_by_their_names_not_the_groups_code_names(demo):
    client = as_user("admin", "en")
    response = client.get(reverse("admin:accounts_user_changelist"))
    filters = {str(spec.title): [str(choice["display"]) for choice in spec.choices(response.context["cl"])]
               for spec in response.context["cl"].filter_specs}
    assert {"Association staff", "Exam administrator", "Provincial exam authority"} <= set(filters["role"])
    assert not any("_" in display for displays in filters.values() for display in displays)
    staff_only = client.get(reverse("admin:accounts_user_changelist"), {"role": "exam_administrator"})
    assert [u.username for u in staff_only.context["cl"].result_list] == ["examadmin"]
    groups = client.get(reverse("admin:auth_group_changelist")).content.decode()
    assert "Association staff" in groups and "Provincial exam authority" in groups


@pytest.mark.parametrize("language, personal, enterprise", [("zh-hans", "个人", "企业"), ("en", "Personal",
                                                                                       "Enterprise")])
def test_invoice_type_by_its_name_in_the_list_the_filter_and_the_csv(demo, language, personal, enterprise):
    from payments.models import Invoice

    invoice = Invoice.objects.filter(order__candidate=demo).first()
    assert invoice.kind == "personal"
    client = as_user("staff", language)
    changelist = reverse("admin:payments_invoice_changelist")
    response = client.get(changelist)
    assert f'<td class="field-kind_label">{personal}</td>' in response.content.decode()
    kinds = next(spec for spec in response.context["cl"].filter_specs if getattr(spec, "parameter_name", "") == "kind")
    assert [str(c["display"]) for c in kinds.choices(response.context["cl"])][1:] == [personal, enterprise]
    page = client.get(reverse("admin:payments_invoice_change", args=[invoice.pk])).content.decode()
    assert readonly(page, "kind_label") == personal
    export = client.post(changelist, {"action": "export_csv", "_selected_action": [invoice.pk], "index": "0"})
    table = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert table[1][table[0].index("类型")] == personal
    Invoice.objects.filter(pk=invoice.pk).update(kind="enterprise")
    assert f'<td class="field-kind_label">{enterprise}</td>' in client.get(changelist).content.decode()


def test_a_payments_source_by_its_name(demo):
    from payments.models import Payment

    payment = Payment.objects.filter(order__candidate=demo).first()
    assert payment.source == "query"
    page = as_user("staff", "en").get(reverse("admin:payments_payment_changelist")).content.decode()
    assert '<td class="field-source_label">Status query</td>' in page


def test_audit_history_and_the_audit_log_in_beijing_time(demo):
    from core.models import AuditEntry
    from exams import services
    from exams.models import SeatQuota

    quota = SeatQuota.objects.order_by("pk").first()
    moment = datetime.datetime(2026, 3, 1, 20, 30, tzinfo=UTC)  # 2026-03-02 04:30 in Beijing
    with time_machine.travel(moment, tick=False):
        services.quota_set_capacity(quota=quota, capacity=quota.capacity + 5, actor=None)
    client = as_user("admin")
    page = client.get(reverse("admin:exams_seatquota_change", args=[quota.pk])).content.decode()
    assert "2026-03-02 04:30:00" in page and "2026-03-01 20:30" not in page

    exam = quota.exam
    entry = AuditEntry.objects.get(action="quota.capacity_set", object_id=str(quota.pk))
    assert str(entry).startswith("2026-03-02 04:30:00")
    closes = exam.registration_closes_at.astimezone(UTC).replace(hour=16, minute=0, second=0, microsecond=0)
    exam.registration_closes_at = closes + datetime.timedelta(days=1)  # at midnight in Beijing
    with time_machine.travel(moment, tick=False):
        services.exam_save(exam=exam, actor=None, fields=["registration_closes_at"])
    changed = AuditEntry.objects.filter(action="exam.changed", object_id=str(exam.pk)).latest("pk")
    assert "+00:00" in changed.after["registration_closes_at"]  # stored as written, in UTC
    page = client.get(reverse("admin:core_auditentry_change", args=[changed.pk])).content.decode()
    midnight = timezone.localtime(exam.registration_closes_at)
    assert midnight.hour == 0 and f"{midnight:%Y-%m-%d} 00:00:00" in readonly(page, "after_local")
    assert "+00:00" not in page
    history = client.get(reverse("admin:exams_seatquota_change", args=[quota.pk])).content.decode()
    assert "+00:00" not in readonly(history, "audit_history")


def test_the_roster_gives_exam_times_in_beijing_time(demo):
    from exams.models import Sitting

    exam = demo.enrollments.get(exam__name__endswith="（加考）").exam
    first = Sitting.objects.filter(exam=exam).order_by("starts_at").first()
    starts, ends = timezone.localtime(first.starts_at), timezone.localtime(first.ends_at)
    assert (starts.hour, ends.hour) == (9, 11) and first.starts_at.astimezone(UTC).hour == 1
    table = list(roster_rows(RosterFilter(exam_id=exam.pk), full_id_numbers=False))
    times = {row[HEADERS.index("场次")]: row[HEADERS.index("考试时间")] for row in table}
    assert times[first.name] == f"{starts:%Y-%m-%d} 09:00–11:00"


@pytest.mark.parametrize("url", ["admin:index", "staff:dashboard", "staff:roster",
                                 "admin:registration_enrollment_changelist"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_staff_page_carries_the_products_name(demo, url, language):
    page = as_user("staff", language).get(reverse(url)).content.decode()
    header = re.search(r'<div id="site-name">(.*?)</div>', page, re.S).group(1)
    with translation.override(language):
        name = str(settings.SITE_NAME)
    assert name in header and "Django" not in page.split("<body", 1)[1].split('id="content"', 1)[0]
    assert "Django" not in re.search(r"<title>(.*?)</title>", page, re.S).group(1)
