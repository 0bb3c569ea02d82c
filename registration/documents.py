"""PDF documents: the registration form with its receipt (报名表 / 回执), the admission ticket
(准考证) and the invoice record of a paid order (发票记录), with Chinese text and the standard photo. A TrueType CJK font is embedded when one is
installed (settings.PDF_FONT_PATHS); otherwise ReportLab's built-in CID font STSong-Light is used,
which PDF readers render with their own Chinese font."""
from __future__ import annotations

import io
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from core.masking import mask_id_number

RULES = [
    "1. 考生凭准考证和有效身份证件进入考场，二者缺一不可。",
    "2. 考试开始 30 分钟后不得入场，考试开始 60 分钟内不得交卷离场。",
    "3. 除规定文具外，手机等电子设备一律关机并存放在指定位置。",
    "4. 考生应遵守考场纪律，服从监考人员管理，违纪舞弊者按有关规定处理。",
]


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """A document for its owner's eyes: shown inline, never stored by a shared cache."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    return response


@lru_cache(maxsize=1)
def font_name() -> str:
    for path in settings.PDF_FONT_PATHS:
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont("CJK", path, subfontIndex=0))
            return "CJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _photo(page, user, x, y, w, h) -> None:
    from photos.selectors import approved_photo

    photo = approved_photo(user)
    page.rect(x, y, w, h)
    if photo is None:
        page.setFont(font_name(), 9)
        page.drawCentredString(x + w / 2, y + h / 2, "照片")
        return
    with photo.processed.open("rb") as image:
        page.drawImage(ImageReader(io.BytesIO(image.read())), x, y, w, h, preserveAspectRatio=True, anchor="c")


def _table(page, rows, x, y, label_w=32 * mm, value_w=95 * mm, line=8 * mm, size=11):
    for label, value in rows:
        page.rect(x, y - line, label_w, line)
        page.rect(x + label_w, y - line, value_w, line)
        page.setFont(font_name(), size)
        page.drawString(x + 2 * mm, y - line + 2.6 * mm, str(label))
        page.drawString(x + label_w + 2 * mm, y - line + 2.6 * mm, str(value))
        y -= line
    return y


def registration_form(enrollment, choices, order=None) -> bytes:
    """报名表 with a receipt stub; for the candidate themself (full ID number)."""
    user = enrollment.candidate
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle("报名表")
    width, height = A4
    page.setFont(font_name(), 16)
    page.drawCentredString(width / 2, height - 25 * mm, enrollment.exam.name)
    page.setFont(font_name(), 14)
    page.drawCentredString(width / 2, height - 33 * mm, "报 名 表")
    top = height - 45 * mm
    _photo(page, user, 150 * mm, top - 40 * mm, 30 * mm, 40 * mm)
    rows = [
        ("姓名", user.name), ("性别", user.get_gender_display()), ("证件类型", user.get_id_type_display()),
        ("证件号码", user.id_number), ("出生日期", user.birth_date.strftime("%Y-%m-%d") if user.birth_date else ""),
        ("报考考区", str(enrollment.area or "")), ("手机号码", enrollment.mobile),
        ("通讯地址", enrollment.mailing_address), ("电子邮箱", enrollment.email), ("工作单位", enrollment.employer),
    ]
    for choice in choices:
        rows.append((choice.sitting.name, f"{choice.subject.name}（{choice.subject.fee} 元）"))
    rows.append(("报名状态", enrollment.get_status_display()))
    y = _table(page, rows, 20 * mm, top)
    y -= 10 * mm
    page.setDash(3, 3)
    page.line(15 * mm, y, width - 15 * mm, y)
    page.setDash()
    page.setFont(font_name(), 13)
    page.drawCentredString(width / 2, y - 10 * mm, "报 名 回 执")
    receipt = [("姓名", user.name), ("证件号码", mask_id_number(user.id_number)),
               ("订单号", order.number if order else "—"),
               ("缴费金额", f"{order.amount} 元" if order else "—"),
               ("缴费时间", timezone.localtime(order.paid_at).strftime("%Y-%m-%d %H:%M") if order and order.paid_at
                else "—")]
    _table(page, receipt, 20 * mm, y - 15 * mm)
    page.setFont(font_name(), 8)
    page.drawString(20 * mm, 12 * mm, f"打印时间：{timezone.localtime():%Y-%m-%d %H:%M}")
    page.showPage()
    page.save()
    return buffer.getvalue()


def admission_ticket(enrollment, tickets) -> bytes:
    """准考证: photo, name, masked ID, and per sitting the subject, time, venue, room and seat."""
    user = enrollment.candidate
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle("准考证")
    width, height = A4
    page.setFont(font_name(), 16)
    page.drawCentredString(width / 2, height - 25 * mm, enrollment.exam.name)
    page.setFont(font_name(), 20)
    page.drawCentredString(width / 2, height - 35 * mm, "准 考 证")
    top = height - 48 * mm
    _photo(page, user, 150 * mm, top - 40 * mm, 30 * mm, 40 * mm)
    y = _table(page, [("姓名", user.name), ("性别", user.get_gender_display()),
                      ("证件号码", mask_id_number(user.id_number)), ("考区", str(enrollment.area or ""))], 20 * mm, top)
    for ticket in tickets:
        y -= 6 * mm
        starts = timezone.localtime(ticket.sitting.starts_at)
        ends = timezone.localtime(ticket.sitting.ends_at)
        y = _table(page, [
            ("准考证号", ticket.number),
            ("科目", ticket.subject.name),
            ("考试时间", f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M}（{ticket.sitting.name}）"),
            ("考点", ticket.venue.name), ("考点地址", ticket.venue.address),
            ("考场 / 座位号", f"第 {ticket.room} 考场  {ticket.seat} 号"),
        ], 20 * mm, y)
    y -= 10 * mm
    page.setFont(font_name(), 12)
    page.drawString(20 * mm, y, "考生须知")
    page.setFont(font_name(), 10)
    for rule in RULES:
        y -= 6 * mm
        page.drawString(20 * mm, y, rule)
    page.setFont(font_name(), 8)
    page.drawString(20 * mm, 12 * mm, f"打印时间：{timezone.localtime():%Y-%m-%d %H:%M}")
    page.showPage()
    page.save()
    return buffer.getvalue()


DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿")
INVOICE_KINDS = {"personal": "个人", "enterprise": "企业"}


def _four_digits(group: int) -> str:
    words, zero = "", False
    for place in (3, 2, 1, 0):
        digit = group // 10 ** place % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words, zero = words + "零", False
        words += DIGITS[digit] + PLACES[place]
    return words


def amount_in_words(amount: Decimal) -> str:
    """金额大写 as Chinese receipts write it: 160.00 → 壹佰陆拾元整, 100.05 → 壹佰元零伍分."""
    fen = int((Decimal(amount) * 100).quantize(Decimal(1)))
    yuan, jiao, fen = fen // 100, fen // 10 % 10, fen % 10
    groups = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    words, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = True
            continue
        if words and (gap or group < 1000):
            words += "零"
        words, gap = words + _four_digits(group) + GROUPS[index], False
    if words:
        words += "元"
    if not jiao and not fen:
        return (words or "零元") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif words:
        words += "零"
    return words + (DIGITS[fen] + "分" if fen else "整")


def invoice_record(invoice, lines) -> bytes:
    """发票记录 of a paid order: number, type, title, tax number, what was paid for and the amount in
    figures and words; a voided record (refunded order) carries 已作废 and when."""
    order = invoice.order
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(f"发票记录 {invoice.number}")
    width, height = A4
    page.setFont(font_name(), 16)
    page.drawCentredString(width / 2, height - 25 * mm, order.exam.name)
    page.setFont(font_name(), 14)
    page.drawCentredString(width / 2, height - 33 * mm, "考 试 费 发 票 记 录")
    voided = invoice.status == "voided"
    rows = [
        ("发票号码", invoice.number),
        ("发票类型", INVOICE_KINDS.get(invoice.kind, invoice.kind)),
        ("发票抬头", invoice.title),
    ]
    if invoice.tax_number:
        rows.append(("纳税人识别号", invoice.tax_number))
    rows += [(line.sitting.name, f"{line.subject.name}（{line.fee} 元）") for line in lines]
    rows += [
        ("金额（小写）", f"¥{invoice.amount}"),
        ("金额（大写）", amount_in_words(invoice.amount)),
        ("订单号", order.number),
        ("缴费时间", timezone.localtime(order.paid_at).strftime("%Y-%m-%d %H:%M") if order.paid_at else "—"),
        ("开具时间", timezone.localtime(invoice.created_at).strftime("%Y-%m-%d %H:%M")),
        ("状态", f"已作废（{timezone.localtime(invoice.voided_at):%Y-%m-%d %H:%M}，已申请退费）"
                 if voided and invoice.voided_at else ("已作废" if voided else "已开具")),
    ]
    y = _table(page, rows, 20 * mm, height - 45 * mm, label_w=36 * mm, value_w=134 * mm)
    if order.is_test:
        page.setFont(font_name(), 10)
        page.drawString(20 * mm, y - 8 * mm, "测试订单：经测试支付平台支付，未实际收款。")
    if voided:
        page.saveState()
        page.setFillColor(colors.red, alpha=0.6)
        page.translate(width / 2, y - 45 * mm)  # below the table, where it hides nothing
        page.rotate(30)
        page.setFont(font_name(), 64)
        page.drawCentredString(0, 0, "已 作 废")
        page.restoreState()
    page.setFont(font_name(), 8)
    page.drawString(20 * mm, 12 * mm, f"打印时间：{timezone.localtime():%Y-%m-%d %H:%M}")
    page.showPage()
    page.save()
    return buffer.getvalue()
