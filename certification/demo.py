"""Certification demo data for `seed_demo` (idempotent: a second run finds everything and adds nothing).

Fields and levels with their requirements and fees; the demo institution (济南示例认证有限公司, whose
`institution` login reviews) and a second one; an expert of the second; a certified auditor with a
library, three certificates anyone can verify at fixed links, and applications at several stages,
all moved there through the real services (certification.services, certification.fees)."""
from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts_services
from accounts.demo import DEMO_PASSWORD, credit_code, resident_id
from accounts.models import (
    EducationLevel,
    Gender,
    IdType,
    Institution,
    InstitutionKind,
    User,
)
from accounts.roles import Role
from core.audit import audit_log
from core.regions import Province

from . import fees, services
from .models import (
    Application,
    ApplicationKind,
    AuditExperience,
    Certificate,
    CertificateStatus,
    Field,
    ItemKind,
    Level,
    PracticingRelation,
    Track,
    TrainingRecord,
    WorkExperience,
)

FIELDS = [("QMS", "质量管理体系", 1), ("EMS", "环境管理体系", 2), ("OHSMS", "职业健康安全管理体系", 3),
          ("FSMS", "食品安全管理体系", 4), ("SC", "服务认证", 5)]
# 实习审核员 need the unified exam (GB and the field's subject); the higher levels need audit days
# and training hours. Fees in CNY: registration, annual confirmation.
LEVELS = [("provisional", "实习审核员", 1, {"min_audit_days": 0, "min_training_hours": 0, "fee": "200.00",
                                            "annual_fee": "100.00"}),
          ("auditor", "审核员", 2, {"min_audit_days": 20, "min_training_hours": 16, "fee": "300.00", "annual_fee": "150.00"}),
          ("senior", "高级审核员", 3, {"min_audit_days": 60, "min_training_hours": 32, "fee": "500.00",
                                       "annual_fee": "200.00"})]

# The demo certificates' links stay the same from one seed to the next (README lists them).
VALID_TOKEN = "demo-valid-QMS-h7Rk2pXw9cLm"
EXPIRED_TOKEN = "demo-expired-EMS-Vq4nT8sJz3Ya"
REVOKED_TOKEN = "demo-revoked-FSMS-Gm6bW1eKu5Hd"
CODES = {VALID_TOKEN: "QV7K2PMA", EXPIRED_TOKEN: "EX4N8TJZ", REVOKED_TOKEN: "RV6B3WKH"}


def _catalogue() -> dict[tuple[str, str], Track]:
    tracks = {}
    for code, name, order in FIELDS:
        field, _created = Field.objects.get_or_create(code=code, defaults={"name": name, "order": order})
        for level_code, level_name, rank, rules in LEVELS:
            level, _created = Level.objects.get_or_create(code=level_code, defaults={"name": level_name, "rank": rank})
            subjects = f"GB,{code}" if level_code == "provisional" else ""
            track, _created = Track.objects.get_or_create(field=field, level=level, defaults={
                "exam_subject_codes": subjects, "min_audit_days": rules["min_audit_days"],
                "min_training_hours": rules["min_training_hours"], "fee": Decimal(rules["fee"]),
                "annual_fee": Decimal(rules["annual_fee"]), "validity_years": 3})
            tracks[(code, level_code)] = track
    return tracks


def _institutions() -> tuple[Institution, Institution]:
    jinan = Institution.objects.get(credit_code=credit_code("91370100MA3C5X7R2"))  # accounts.demo's
    qingdao, _created = Institution.objects.get_or_create(
        credit_code=credit_code("91370200MA3D6Y8R3"),
        defaults={"name": "青岛示例认证有限公司", "kind": InstitutionKind.CERTIFICATION_BODY,
                  "province": Province.SHANDONG, "address": "青岛市市南区香港中路 50 号",
                  "contact_phone": "0532-80000000"})
    return jinan, qingdao


def _person(username: str, name: str, *, birth: datetime.date, sequence: int, gender: str, mobile: str,
            institution: Institution, since: datetime.date, login: bool = True) -> tuple[User, bool]:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = accounts_services.user_signup(data=accounts_services.SignupData(
        username=username, password_hash=make_password(DEMO_PASSWORD if login else None), name=name,
        id_type=IdType.RESIDENT_ID, id_number=resident_id("370102", birth, sequence), gender=gender,
        birth_date=birth, email=f"{username}@example.org", mobile=mobile,
        education={"level": EducationLevel.BACHELOR, "degree": "bachelor", "school": "山东大学",
                   "major": "质量管理工程", "graduated_on": datetime.date(birth.year + 22, 7, 1)}))
    PracticingRelation.objects.create(person=user, institution=institution, started_on=since)
    return user, True


def _library(person, field: Field, *, employer: str, audits: int, days: str, hours: int) -> None:
    """基本信息库: a work experience, `audits` audits of `days` days, one training course."""
    WorkExperience.objects.create(person=person, employer=employer, position="审核员",
                                  started_on=datetime.date(2018, 3, 1), description="管理体系认证审核")
    today = timezone.localdate()
    for n in range(audits):
        AuditExperience.objects.create(person=person, organisation=f"山东示例制造有限公司第{n + 1}分厂", field=field,
                                       role="member" if n else "leader",
                                       audited_on=today - datetime.timedelta(days=60 + 45 * n), days=Decimal(days))
    TrainingRecord.objects.create(person=person, course=f"{field.code} 审核员注册培训", provider="中认示例培训中心",
                                  hours=hours, completed_on=today - datetime.timedelta(days=400))


def _registration(person, track: Track) -> Application | None:
    """A registration holding the person's whole library, submitted; None when it exists already."""
    if Application.objects.filter(applicant=person, track=track, kind=ApplicationKind.REGISTRATION).exists():
        return None
    app = services.application_create(applicant=person, kind=ApplicationKind.REGISTRATION, track=track)
    for work in person.work_experiences.all():
        services.item_add(app=app, actor=person, kind=ItemKind.WORK, entry=work)
    for audit in person.audit_experiences.all():
        services.item_add(app=app, actor=person, kind=ItemKind.AUDIT, entry=audit)
    for training in person.training_records.all():
        services.item_add(app=app, actor=person, kind=ItemKind.TRAINING, entry=training)
    services.application_submit(app=app, actor=person)
    app.refresh_from_db()
    return app


def _certificate(token: str, *, holder, track: Track, institution, issued_on, valid_until, sequence: int):
    certificate = Certificate.objects.filter(token=token).first()
    if certificate is not None:
        return certificate
    certificate = Certificate.objects.create(
        number=services.certificate_number(track.field.code, issued_on.year, sequence), holder=holder, track=track,
        institution=institution, issued_on=issued_on, valid_until=valid_until, token=token,
        verification_code=CODES[token])
    audit_log(actor=None, action="certificate.issued", obj=certificate, after={"demo": True,
                                                                               "valid_until": str(valid_until)})
    return certificate


def _voucher_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    from registration.documents import font_name

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont(font_name(), 14)
    page.drawString(72, 760, "银行转账凭证（演示）  金额：300.00 元")
    page.showPage()
    page.save()
    return buffer.getvalue()


def seed() -> list[tuple[str, str, str]]:
    """Create what is missing; return the (role, username, password) rows of the logins to print."""
    with transaction.atomic():
        tracks = _catalogue()
        jinan, qingdao = _institutions()
        staff = User.objects.get(username="staff")
        officer = User.objects.get(username="institution")
        today = timezone.localdate()

        expert, created = _person("expert", "周立新", birth=datetime.date(1975, 4, 12), sequence=311,
                                  gender=Gender.MALE, mobile="13800000011", institution=qingdao,
                                  since=datetime.date(2015, 6, 1))
        expert.groups.add(Group.objects.get(name=Role.EXPERT))

        auditor, created = _person("auditor", "李建国", birth=datetime.date(1984, 8, 20), sequence=215,
                                   gender=Gender.MALE, mobile="13800000012", institution=jinan,
                                   since=datetime.date(2018, 3, 1))
        if created:
            _library(auditor, tracks[("OHSMS", "auditor")].field, employer="济南示例认证有限公司", audits=6,
                     days="4.0", hours=24)
        newcomer, created = _person("newcomer", "陈晨", birth=datetime.date(1993, 1, 15), sequence=426,
                                    gender=Gender.FEMALE, mobile="13800000013", institution=jinan,
                                    since=datetime.date(2021, 7, 1))
        if created:
            _library(newcomer, tracks[("EMS", "auditor")].field, employer="济南示例认证有限公司", audits=5,
                     days="4.5", hours=16)
        trainee, created = _person("trainee", "赵磊", birth=datetime.date(1990, 11, 3), sequence=537,
                                   gender=Gender.MALE, mobile="13800000014", institution=jinan,
                                   since=datetime.date(2020, 9, 1))
        if created:
            _library(trainee, tracks[("QMS", "auditor")].field, employer="济南示例认证有限公司", audits=5,
                     days="4.0", hours=40)
        revoked_holder, _created = _person("sunqiang", "孙强", birth=datetime.date(1980, 2, 28), sequence=648,
                                           gender=Gender.MALE, mobile="13800000015", institution=qingdao,
                                           since=datetime.date(2016, 5, 1), login=False)

        # Three certificates anyone can verify: valid (annual confirmation due), expired, revoked.
        qms = tracks[("QMS", "auditor")]
        issued = today - datetime.timedelta(days=3 * 365 - 75)
        valid = _certificate(VALID_TOKEN, holder=auditor, track=qms, institution=jinan, issued_on=issued,
                             valid_until=today + datetime.timedelta(days=75), sequence=9000101)
        _certificate(EXPIRED_TOKEN, holder=auditor, track=tracks[("EMS", "provisional")], institution=jinan,
                     issued_on=today - datetime.timedelta(days=3 * 365 + 20),
                     valid_until=today - datetime.timedelta(days=21), sequence=9000102)
        revoked = _certificate(REVOKED_TOKEN, holder=revoked_holder, track=tracks[("FSMS", "auditor")],
                               institution=qingdao, issued_on=today - datetime.timedelta(days=400),
                               valid_until=today + datetime.timedelta(days=3 * 365 - 400), sequence=9000103)
        if revoked.status != CertificateStatus.REVOKED:
            services.certificate_set_status(certificate=revoked, actor=staff, action="revoke",
                                            reason="审核记录造假，违反认证人员行为准则（演示数据）")

        # Waiting for the institution (`institution` reviews it).
        _registration(newcomer, tracks[("EMS", "auditor")])

        # Returned for rectification by the institution, one item named.
        returned = _registration(auditor, tracks[("OHSMS", "auditor")])
        if returned is not None:
            training = returned.items.filter(kind=ItemKind.TRAINING).first()
            services.review(app=returned, actor=officer, action="return",
                            reason="培训证明不清晰，请补充培训结业证书。",
                            item_reasons={training.pk: "培训结业证书扫描件不清晰，请重新上传。"})

        # Annual confirmation of the valid certificate, reviewed by the institution: waits for its fee.
        if not Application.objects.filter(applicant=auditor, kind=ApplicationKind.ANNUAL, certificate=valid).exists():
            annual = services.application_create(applicant=auditor, kind=ApplicationKind.ANNUAL, certificate=valid,
                                                 track=valid.track)
            services.application_submit(app=annual, actor=auditor)
            services.review(app=annual, actor=officer, action="institution_approve")

        # Reviewed, paid by a voucher staff confirmed (invoice numbered), assigned to `expert`.
        assigned = _registration(trainee, qms)
        if assigned is not None:
            services.review(app=assigned, actor=officer, action="institution_approve")
            voucher = fees.voucher_submit(app=assigned, actor=trainee,
                                          file=SimpleUploadedFile("转账凭证.pdf", _voucher_pdf()),
                                          invoice_wanted=True, invoice_type=fees.INVOICE_PERSONAL)
            fees.voucher_confirm(voucher=voucher, actor=staff)
            services.expert_assign(app=assigned, actor=staff, expert=expert,
                                   due_at=timezone.now() + datetime.timedelta(days=14))

    return [
        ("certified auditor (certificates, 年度确认, 退回整改, 缴费)", "auditor", DEMO_PASSWORD),
        ("applicant waiting for the institution's review", "newcomer", DEMO_PASSWORD),
        ("applicant whose application the expert evaluates", "trainee", DEMO_PASSWORD),
        ("expert (专家评价)", "expert", DEMO_PASSWORD),
    ]
