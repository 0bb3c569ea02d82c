"""Certification test data: an institution (certification body) with its officer, a field and level
with its requirements, an applicant practising there with a library to pick from, an expert."""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.demo import credit_code
from accounts.models import Institution
from certification.models import (
    AuditExperience,
    Field,
    Level,
    PracticingRelation,
    TrainingRecord,
    Track,
    WorkExperience,
)
from tests.accounts.factories import UserFactory


def institution(name: str, body17: str) -> Institution:
    return Institution.objects.create(name=name, credit_code=credit_code(body17), kind="certification_body",
                                      province="37")


def officer_of(inst: Institution, username: str):
    user = UserFactory(username=username, kind="institution", institution=inst)
    user.groups.add(Group.objects.get(name="institution_user"))
    return user


def expert(username: str, inst: Institution | None = None):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name="expert"))
    if inst is not None:
        PracticingRelation.objects.create(person=user, institution=inst, started_on=datetime.date(2020, 1, 1))
    return user


def staff(username: str = "assoc"):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name="association_staff"))
    return user


@dataclass
class World:
    body: Institution
    other_body: Institution
    officer: object
    other_officer: object
    applicant: object
    track: Track
    staff: object
    work: WorkExperience
    audits: list
    training: TrainingRecord


def world(*, fee: str = "300.00", subjects: str = "") -> World:
    body = institution("济南示例认证有限公司", "91370100MA3C5X7R2")
    other = institution("青岛示例认证有限公司", "91370200MA3D6Y8R3")
    applicant = UserFactory(username="applicant", name="李审核")
    PracticingRelation.objects.create(person=applicant, institution=body, started_on=datetime.date(2022, 3, 1))
    qms = Field.objects.create(code="QMS", name="质量管理体系", order=1)
    auditor = Level.objects.create(code="auditor", name="审核员", rank=2)
    track = Track.objects.create(field=qms, level=auditor, fee=Decimal(fee), annual_fee=Decimal("100.00"),
                                 min_audit_days=10, min_training_hours=40, exam_subject_codes=subjects)
    work = WorkExperience.objects.create(person=applicant, employer="济南示例认证有限公司", position="审核员",
                                         started_on=datetime.date(2022, 3, 1))
    audits = [AuditExperience.objects.create(person=applicant, organisation=f"受审核组织{n}", field=qms,
                                             role="member", audited_on=timezone.localdate(), days=Decimal("4.0"))
              for n in range(3)]
    training = TrainingRecord.objects.create(person=applicant, course="QMS 审核员培训", provider="培训机构",
                                             hours=40, completed_on=datetime.date(2023, 5, 1))
    return World(body=body, other_body=other, officer=officer_of(body, "officer"),
                 other_officer=officer_of(other, "other_officer"), applicant=applicant, track=track,
                 staff=staff(), work=work, audits=audits, training=training)
