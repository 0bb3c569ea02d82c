"""What an application must hold before it can be submitted: one message per unmet requirement,
in words the applicant can act on (SPEC G1, G5, G6)."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Application, ApplicationKind, CertificateStatus, ItemKind

K = ApplicationKind


def passed_subject_codes(person, pass_mark) -> set[str]:
    """The unified exam's subjects the person passed (a score at or above the pass mark)."""
    from registration.models import Score

    return set(Score.objects.filter(ticket__enrollment__candidate=person, ticket__void=False, value__gte=pass_mark)
               .values_list("ticket__subject__code", flat=True))


def renewal_window(certificate, today: datetime.date | None = None) -> bool:
    """Near expiry (CERTIFICATION_RENEWAL_DAYS before) or expired within CERTIFICATION_GRACE_DAYS."""
    today = today or timezone.localdate()
    opens = certificate.valid_until - datetime.timedelta(days=settings.CERTIFICATION_RENEWAL_DAYS)
    closes = certificate.valid_until + datetime.timedelta(days=settings.CERTIFICATION_GRACE_DAYS)
    return certificate.status == CertificateStatus.VALID and opens <= today <= closes


def problems(app: Application) -> list[str]:
    found: list[str] = []
    if app.kind in (K.REGISTRATION, K.ANNUAL, K.TRANSFER) and app.institution_id is None:
        found.append(_("Name the institution you practise for."))
    if app.kind == K.REGISTRATION:
        found += _registration_problems(app)
    elif app.kind == K.ANNUAL:
        found += _certificate_problems(app)
        if app.certificate_id and not renewal_window(app.certificate):
            found.append(_("This certificate is not due for annual confirmation: it can be confirmed from "
                           "%(days)d days before it expires.") % {"days": settings.CERTIFICATION_RENEWAL_DAYS})
    elif app.kind == K.TRANSFER:
        found += _certificate_problems(app)
        if app.target_institution_id is None:
            found.append(_("Choose the institution you move to."))
        elif app.target_institution_id == app.institution_id:
            found.append(_("You already practise for this institution."))
    else:
        if not app.title.strip():
            found.append(_("Give the subject of your %(kind)s.") % {"kind": app.get_kind_display()})
        if not app.content.strip():
            found.append(_("Describe the facts and what you ask for."))
    return found


def first_problem(app: Application) -> str | None:
    found = problems(app)
    return found[0] if found else None


def _certificate_problems(app: Application) -> list[str]:
    certificate = app.certificate
    if certificate is None:
        return [_("Choose one of your certificates.")]
    if certificate.holder_id != app.applicant_id:
        return [_("This certificate is not yours.")]
    if certificate.status != CertificateStatus.VALID:
        return [_("This certificate is %(status)s.") % {"status": certificate.get_status_display()}]
    return []


def _registration_problems(app: Application) -> list[str]:
    track = app.track
    if track is None:
        return [_("Choose the field and the level you apply for.")]
    found = []
    items = list(app.items.all())
    missing = [code for code in track.subject_codes
               if code not in passed_subject_codes(app.applicant, track.pass_mark)]
    if missing:
        found.append(_("%(track)s needs the unified exam's subjects %(subjects)s passed; not passed yet: "
                       "%(missing)s.") % {"track": track, "subjects": "、".join(track.subject_codes),
                                          "missing": "、".join(missing)})
    days = sum((Decimal(str(item.data.get("days") or 0)) for item in items if item.kind == ItemKind.AUDIT),
               Decimal(0))
    if days < track.min_audit_days:
        found.append(_("%(track)s needs at least %(need)d audit days; your audit experiences add up to "
                       "%(have)s.") % {"track": track, "need": track.min_audit_days, "have": days.normalize()})
    hours = sum(int(item.data.get("hours") or 0) for item in items if item.kind == ItemKind.TRAINING)
    if hours < track.min_training_hours:
        found.append(_("%(track)s needs at least %(need)d training hours; your training records add up to "
                       "%(have)d.") % {"track": track, "need": track.min_training_hours, "have": hours})
    if not any(item.kind == ItemKind.WORK for item in items):
        found.append(_("Add at least one work experience."))
    return found
