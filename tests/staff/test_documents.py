"""报名表 (D12) and 准考证 (D13) as PDF: only the owner gets them, the ticket only in the print window;
Chinese text is drawn with an embedded CJK font (rendered with poppler and looked at), and the
ticket shows the masked ID number only."""
import datetime
import re
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from PIL import Image, ImageChops
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from core.masking import mask_id_number
from exams.models import Area
from registration import documents, services
from tests.staff.conftest import make_candidate, need_tool, walk

pytestmark = pytest.mark.django_db

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DPI = 100


def px(points: float) -> int:
    return round(points * DPI / 72)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    need_tool("pdftotext")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def in_window(exam):
    return time_machine.travel(exam.ticket_print_opens_at + datetime.timedelta(hours=1), tick=False)


def ticket_pdf(client, enrollment):
    with in_window(enrollment.exam):
        client.force_login(enrollment.candidate)
        response = client.get(reverse("registration:admission-ticket-pdf", args=[enrollment.pk]))
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/pdf"
    return response.content


# --------------------------------------------------------------------------- registration form


def test_registration_form_for_a_confirmed_enrollment_is_a_pdf_for_its_owner_only(exam, sittings, client, tmp_path):
    owner = make_candidate("李雷")
    enrollment = walk(owner, exam, sittings, Area.objects.get(name="济南"))
    url = reverse("registration:registration-form-pdf", args=[enrollment.pk])

    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")

    client.force_login(make_candidate("韩梅梅"))
    assert client.get(url).status_code == 404

    text = re.sub(r"\s+", "", pdf_text(response.content, tmp_path))
    assert "报名表" in text and "李雷" in text and "报名回执" in text


def test_registration_form_before_confirmation_redirects_with_a_message(exam, sittings, client):
    owner = make_candidate("李雷")
    enrollment = services.enrollment_start(candidate=owner, exam=exam)
    client.force_login(owner)
    response = client.get(reverse("registration:registration-form-pdf", args=[enrollment.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("registration:enrollment-progress", args=[enrollment.pk])
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]


# --------------------------------------------------------------------------- admission ticket


def test_admission_ticket_only_inside_the_print_window(allocated, client):
    enrollment = allocated.paid["张三"]
    exam = enrollment.exam
    url = reverse("registration:admission-ticket-pdf", args=[enrollment.pk])
    for moment in (exam.ticket_print_opens_at - datetime.timedelta(minutes=1), exam.ticket_print_closes_at):
        with time_machine.travel(moment, tick=False):
            client.force_login(enrollment.candidate)
            response = client.get(url)
            assert response.status_code == 302, moment
            assert response["Location"] == reverse("registration:my-exams")
            assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
            page = client.get(reverse("registration:my-exams")).content.decode()
            assert 'data-testid="print-ticket"' not in page

    with in_window(exam):
        client.force_login(enrollment.candidate)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
        assert 'data-testid="print-ticket"' in client.get(reverse("registration:my-exams")).content.decode()


def test_admission_ticket_needs_allocated_tickets_and_is_the_owners_only(allocated, client):
    unpaid = allocated.unpaid["孙八"]
    with in_window(allocated.exam):
        client.force_login(unpaid.candidate)
        response = client.get(reverse("registration:admission-ticket-pdf", args=[unpaid.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("registration:my-exams")
        other = allocated.paid["张三"]
        assert client.get(reverse("registration:admission-ticket-pdf", args=[other.pk])).status_code == 404


def test_refunded_candidate_cannot_print_the_admission_ticket(allocated, client):
    """A refund after allocation (the refund window may outlast registration) ends the ticket at once."""
    enrollment = allocated.paid["张三"]
    services.enrollment_refund_seats(enrollment=enrollment, actor=enrollment.candidate)
    with in_window(allocated.exam):
        client.force_login(enrollment.candidate)
        response = client.get(reverse("registration:admission-ticket-pdf", args=[enrollment.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("registration:my-exams")
        assert 'data-testid="print-ticket"' not in client.get(reverse("registration:my-exams")).content.decode()


def test_ticket_pdf_shows_the_masked_id_number_never_the_full_one(allocated, client, tmp_path):
    enrollment = allocated.paid["张三"]
    text = pdf_text(ticket_pdf(client, enrollment), tmp_path)
    full = enrollment.candidate.id_number
    assert len(full) == 18
    assert mask_id_number(full) in text
    assert full not in text
    flat = re.sub(r"\s+", "", text)
    assert "准考证" in flat and "张三" in flat
    for ticket in enrollment.tickets.all():
        assert ticket.number in text


def test_ticket_pdf_embeds_the_cjk_font(allocated, client, tmp_path):
    if not WQY.is_file():
        pytest.skip(f"{WQY} is not installed (fonts-wqy-microhei): the PDF falls back to STSong-Light")
    need_tool("pdffonts")
    path = tmp_path / "ticket.pdf"
    path.write_bytes(ticket_pdf(client, allocated.paid["张三"]))
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout.splitlines()
    fonts = [line for line in lines[2:] if line.strip()]
    cjk = [line for line in fonts if "WenQuanYi" in line]
    assert cjk, fonts
    for line in cjk:
        assert line.split()[-5] == "yes", f"not embedded: {line}"
    assert not any("STSong" in line for line in fonts)


def _same_size(a: Image.Image, b: Image.Image):
    size = (max(a.size[0], b.size[0]), max(a.size[1], b.size[1]))
    pa, pb = Image.new("L", size), Image.new("L", size)
    pa.paste(a)
    pb.paste(b)
    return pa, pb


def test_ticket_pdf_renders_chinese_glyphs_not_boxes(allocated, client, tmp_path):
    """Render the page with pdftoppm and look where "准 考 证" is drawn (20 pt, centred, baseline 35 mm
    from the top): each of the three cells has ink, and it is a glyph, not a missing-glyph box: much
    of the ink lies inside its outline, and the three glyphs differ from each other (three boxes
    would be alike). The blank area beside the title stays white."""
    need_tool("pdftoppm")
    path = tmp_path / "ticket.pdf"
    path.write_bytes(ticket_pdf(client, allocated.paid["张三"]))
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True, capture_output=True)
    page = Image.open(tmp_path / "page.png").convert("L")
    width, _height = A4
    assert page.size[0] == px(width)

    font = documents.font_name()
    title, size = "准 考 证", 20
    left = width / 2 - pdfmetrics.stringWidth(title, font, size) / 2
    top, bottom = px(35 * mm - size * 0.95), px(35 * mm + size * 0.25)
    glyphs = []
    for i, char in enumerate(title):
        if char == " ":
            continue
        x = left + pdfmetrics.stringWidth(title[:i], font, size)
        cell = page.crop((px(x), top, px(x + size), bottom)).point(lambda v: 255 if v < 128 else 0)
        box = cell.getbbox()
        assert box, f"no ink where {char} is drawn"
        glyph = cell.crop(box)
        ink = glyph.histogram()[255]
        w, h = glyph.size
        assert w > px(size) // 2 and h > px(size) // 2 and ink > 60, f"{char}: {glyph.size}, {ink} dark pixels"
        inside = glyph.crop((3, 3, w - 3, h - 3)).histogram()[255]
        assert inside / ink > 0.4, f"{char} looks like an empty box ({inside} of {ink} dark pixels inside)"
        glyphs.append((char, glyph, ink))
    assert len(glyphs) == 3
    for (ca, a, ink), (cb, b, _ink) in ((glyphs[0], glyphs[1]), (glyphs[0], glyphs[2]), (glyphs[1], glyphs[2])):
        differing = sum(ImageChops.difference(*_same_size(a, b)).histogram()[1:])
        assert differing / ink > 0.5, f"{ca} and {cb} are drawn alike (boxes?)"

    beside = page.crop((px(130 * mm), top, px(190 * mm), bottom))
    assert beside.getextrema()[0] > 200
