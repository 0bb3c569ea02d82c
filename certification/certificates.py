"""Certificates (SPEC G10): what anyone may learn of one (the public verification page), the PDF with
the holder's photo and a QR code of its verification link, and the reminders before expiry.

The public answer reveals the holder's surname only, the field, level, institution, dates and the
status in words; never the full name, the ID number or the mobile. A revoked or expired certificate
is shown as such with its date, never as "not found" (a verifier must learn it)."""
from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from core.masking import mask_id_number
from core.notifications import notify

from .models import (
    ApplicationKind,
    ApplicationStatus,
    Certificate,
    CertificateReminder,
    CertificateStatus,
)

STATUS_WORDS = {"valid": _("Valid"), "expired": _("Expired"), "suspended": _("Suspended"), "revoked": _("Revoked")}
STATUS_CHINESE = {"valid": "有效", "expired": "已过期", "suspended": "已暂停", "revoked": "已撤销"}


# --------------------------------------------------------------------------- the public answer


def mask_name(name: str) -> str:
    """李*, 王**, 王*[*]: the first character and one star for each of the others (a rare character
    written in brackets, 王晓[沛], counts as one)."""
    characters = re.findall(r"\[[^\]]*\]|.", (name or "").strip())
    if not characters:
        return ""
    return characters[0] + "*" * (len(characters) - 1)


@dataclass(frozen=True)
class PublicView:
    """What the verification page shows of a certificate (nothing else reaches the template)."""

    number: str
    holder: str
    field: str
    level: str
    institution: str
    issued_on: datetime.date
    valid_until: datetime.date
    status: str  # valid, expired, suspended, revoked
    status_since: datetime.date | None  # suspended or revoked on; for an expired one the day after valid_until

    @property
    def status_words(self) -> str:
        return str(STATUS_WORDS[self.status])

    def as_json(self) -> dict:
        return {"status": self.status, "revoked": self.status == "revoked", "number": self.number,
                "holder": self.holder, "field": self.field, "level": self.level, "institution": self.institution,
                "issued_on": self.issued_on.isoformat(), "valid_until": self.valid_until.isoformat(),
                "status_since": self.status_since.isoformat() if self.status_since else None}


def public_view(certificate: Certificate, today: datetime.date | None = None) -> PublicView:
    status = certificate.shown_status(today)
    since = None
    if status == "expired":
        since = certificate.valid_until + datetime.timedelta(days=1)
    elif status in (CertificateStatus.SUSPENDED, CertificateStatus.REVOKED) and certificate.status_changed_at:
        since = timezone.localdate(certificate.status_changed_at)
    track = certificate.track
    return PublicView(number=certificate.number, holder=mask_name(certificate.holder.name),
                      field=track.field.name, level=track.level.name,
                      institution=certificate.institution.name if certificate.institution_id else "",
                      issued_on=certificate.issued_on, valid_until=certificate.valid_until, status=str(status),
                      status_since=since)


def _public_queryset():
    return Certificate.objects.select_related("holder", "track__field", "track__level", "institution")


def find_by_number(number: str, code: str) -> Certificate | None:
    """证书查询 by number and check code together: either wrong finds nothing (and says not which)."""
    number = re.sub(r"\s+", "", number or "").upper()
    code = re.sub(r"\s+", "", code or "").upper()
    if not number or not code:
        return None
    return _public_queryset().filter(number=number, verification_code=code).first()


def find_by_token(token: str) -> Certificate | None:
    return _public_queryset().filter(token=token).first() if token else None


def verification_path(certificate: Certificate) -> str:
    return reverse("verify:token", args=[certificate.token])


def verification_url(certificate: Certificate, request=None) -> str:
    """The absolute verification link the QR code holds: SITE_URL when set, else this request's host."""
    path = verification_path(certificate)
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


# --------------------------------------------------------------------------- the PDF


def qr_png(text: str, scale: int = 8) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="q", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def certificate_pdf(certificate: Certificate, url: str) -> bytes:
    """注册证书 (A4): photo, holder, number, field, level, institution, dates, status and a QR code
    of the verification link `url`. The text is Chinese, as the association's documents are."""
    from registration.documents import font_name

    holder = certificate.holder
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(f"认证人员注册证书 {certificate.number}")
    width, height = A4
    page.setFont(font_name(), 22)
    page.drawCentredString(width / 2, height - 30 * mm, "认证人员注册证书")
    page.setFont(font_name(), 11)
    page.drawCentredString(width / 2, height - 38 * mm, f"证书编号：{certificate.number}")
    top = height - 52 * mm
    _draw_photo(page, holder, 150 * mm, top - 40 * mm, 30 * mm, 40 * mm, font_name())
    status = certificate.shown_status()
    track = certificate.track
    rows = [
        ("姓名", holder.name), ("证件号码", mask_id_number(getattr(holder, "id_number", "") or "")),
        ("证书编号", certificate.number), ("认证领域", f"{track.field.code} {track.field.name}"),
        ("注册级别", track.level.name),
        ("执业机构", certificate.institution.name if certificate.institution_id else "—"),
        ("发证日期", certificate.issued_on.strftime("%Y-%m-%d")),
        ("有效期至", certificate.valid_until.strftime("%Y-%m-%d")),
        ("证书状态", STATUS_CHINESE[str(status)]), ("查询码", certificate.verification_code),
    ]
    y = _draw_rows(page, rows, 20 * mm, top, font_name())
    size = 42 * mm
    y -= 12 * mm + size
    page.drawImage(ImageReader(io.BytesIO(qr_png(url))), 20 * mm, y, size, size)
    page.setFont(font_name(), 10)
    page.drawString(68 * mm, y + size - 8 * mm, "扫描二维码查验本证书的状态：")
    page.setFont("Helvetica", 8)
    page.drawString(68 * mm, y + size - 14 * mm, url[:95])
    page.setFont(font_name(), 10)
    page.drawString(68 * mm, y + size - 22 * mm, "或在证书查询页面输入证书编号和查询码。")
    page.drawString(68 * mm, y + size - 29 * mm, "证书状态以查询结果为准。")
    page.setFont(font_name(), 8)
    page.drawString(20 * mm, 12 * mm, f"打印时间：{timezone.localtime():%Y-%m-%d %H:%M}")
    page.showPage()
    page.save()
    return buffer.getvalue()


def _draw_photo(page, user, x, y, w, h, font) -> None:
    """The holder's standard photo in force (证件照片), or an empty frame."""
    from photos.selectors import approved_photo

    photo = approved_photo(user)
    page.rect(x, y, w, h)
    try:
        if photo is None or not photo.processed:
            raise FileNotFoundError
        with photo.processed.open("rb") as image:
            data = image.read()
    except (FileNotFoundError, OSError):  # no photo, or its file is gone: the empty frame
        page.setFont(font, 9)
        page.drawCentredString(x + w / 2, y + h / 2, "照片")
        return
    page.drawImage(ImageReader(io.BytesIO(data)), x, y, w, h, preserveAspectRatio=True, anchor="c")


def _draw_rows(page, rows, x, y, font, label_w=32 * mm, value_w=95 * mm, line=8 * mm) -> float:
    for label, value in rows:
        page.rect(x, y - line, label_w, line)
        page.rect(x + label_w, y - line, value_w, line)
        page.setFont(font, 11)
        page.drawString(x + 2 * mm, y - line + 2.6 * mm, str(label))
        page.drawString(x + label_w + 2 * mm, y - line + 2.6 * mm, str(value))
        y -= line
    return y


def certificate_visible_to(certificate: Certificate, user) -> bool:
    """The holder and association staff who may see certificates; nobody else (the view 404s)."""
    return user.is_authenticated and (certificate.holder_id == user.pk
                                      or user.has_perm("certification.view_certificate"))


# --------------------------------------------------------------------------- reminders before expiry

REMINDER_BATCH = 500
# An annual confirmation on its way: the holder has acted, no reminder needed.
OPEN_ANNUAL = [ApplicationStatus.INSTITUTION_REVIEW, ApplicationStatus.PAYMENT, ApplicationStatus.ASSOCIATION_REVIEW,
               ApplicationStatus.EXPERT_EVALUATION, ApplicationStatus.ASSOCIATION_DECISION]


def _annual_url() -> str:
    """The annual confirmation page (年度确认); the message centre until that page exists."""
    for name in ("certification:annual", "inbox:notification-list"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def reminder_threshold(days_left: int) -> int | None:
    """The smallest of the reminder thresholds (90, 60, 30) that `days_left` has reached: a holder
    first reminded at 50 days gets the 60-day reminder, not the 90-day one as well."""
    reached = [days for days in settings.CERTIFICATION_REMINDER_DAYS if 0 <= days_left <= days]
    return min(reached) if reached else None


def certificates_remind_expiring(today: datetime.date | None = None, batch: int = REMINDER_BATCH) -> int:
    """Tell holders through the message centre that a certificate expires in 90, 60 or 30 days, once
    per threshold and expiry date (a second run sends nothing); returns how many were told. At most
    `batch` per run: the hourly job spreads a mass expiry over several runs."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=max(settings.CERTIFICATION_REMINDER_DAYS))
    candidates = (Certificate.objects.filter(status=CertificateStatus.VALID, valid_until__gte=today,
                                             valid_until__lte=horizon)
                  .exclude(applications__kind=ApplicationKind.ANNUAL, applications__status__in=OPEN_ANNUAL)
                  .select_related("holder", "track__field", "track__level").order_by("valid_until", "pk"))
    sent = 0
    url = _annual_url()
    for certificate in candidates.iterator(chunk_size=200):
        if sent >= batch:
            break
        days = reminder_threshold((certificate.valid_until - today).days)
        if days is None:
            continue
        if CertificateReminder.objects.filter(certificate=certificate, valid_until=certificate.valid_until,
                                              days_before=days).exists():
            continue
        try:
            with transaction.atomic():
                CertificateReminder.objects.create(certificate=certificate, valid_until=certificate.valid_until,
                                                   days_before=days)
                notify(recipients=[certificate.holder], kind="certification.expiring", obj=certificate, url=url,
                       subject=gettext_noop("Certificate %(number)s expires on %(date)s"),
                       body=gettext_noop("Your certificate %(number)s (%(track)s) is valid until %(date)s, "
                                         "%(days)s days from now. Apply for annual confirmation before then to "
                                         "keep it valid."),
                       params={"number": certificate.number, "track": str(certificate.track),
                               "date": certificate.valid_until, "days": (certificate.valid_until - today).days})
        except IntegrityError:  # another run sent it meanwhile
            continue
        sent += 1
    return sent
