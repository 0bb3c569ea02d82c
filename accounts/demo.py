"""Demo accounts for `seed_demo`: idempotent, one per role."""
import datetime

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from stdnum.cn import ric, uscc

from core.regions import Province

from . import services
from .models import EducationLevel, Gender, IdType, Institution, InstitutionKind, User, UserKind
from .roles import Role, sync_roles

DEMO_PASSWORD = "Demo#2026pass"


def resident_id(area: str, birth: datetime.date, sequence: int) -> str:
    """A well-formed resident ID number (GB 11643) for demo and test data."""
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


def _staff(username: str, name: str, role: str, **extra) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"name": name, "is_staff": True, **extra})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


def seed() -> list[tuple[str, str, str]]:
    """Create the demo accounts if missing; return (role, username, password) rows to print."""
    sync_roles()
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"name": "系统管理员", "is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    _staff("staff", "协会工作人员", Role.ASSOCIATION_STAFF)
    _staff("examadmin", "考试管理员", Role.EXAM_ADMINISTRATOR)
    _staff("shandong", "山东省考试机构", Role.PROVINCIAL_AUTHORITY, province=Province.SHANDONG)

    if not User.objects.filter(username="candidate").exists():
        services.user_signup(data=services.SignupData(
            username="candidate", password_hash=make_password(DEMO_PASSWORD), name="张伟",
            id_type=IdType.RESIDENT_ID, id_number=resident_id("110101", datetime.date(1990, 3, 7), 451),
            gender=Gender.MALE, birth_date=datetime.date(1990, 3, 7), email="candidate@example.org",
            mobile="13800000001",
            education={"level": EducationLevel.BACHELOR, "degree": "bachelor", "school": "山东大学",
                       "major": "质量管理工程", "graduated_on": datetime.date(2012, 7, 1)},
        ))

    if not User.objects.filter(username="examinee").exists():  # has already sat an exam (seed_demo)
        services.user_signup(data=services.SignupData(
            username="examinee", password_hash=make_password(DEMO_PASSWORD), name="王芳",
            id_type=IdType.RESIDENT_ID, id_number=resident_id("370102", datetime.date(1992, 5, 9), 122),
            gender=Gender.FEMALE, birth_date=datetime.date(1992, 5, 9), email="examinee@example.org",
            mobile="13800000002",
            education={"level": EducationLevel.BACHELOR, "degree": "bachelor", "school": "青岛大学",
                       "major": "环境工程", "graduated_on": datetime.date(2014, 7, 1)},
        ))

    institution, _created = Institution.objects.get_or_create(
        credit_code=credit_code("91370100MA3C5X7R2"),
        defaults={"name": "济南示例认证有限公司", "kind": InstitutionKind.CERTIFICATION_BODY,
                  "province": Province.SHANDONG},
    )
    inst_user, created = User.objects.get_or_create(
        username="institution", defaults={"name": "机构管理员", "kind": UserKind.INSTITUTION, "institution": institution}
    )
    if created:
        inst_user.set_password(DEMO_PASSWORD)
        inst_user.save()
    inst_user.groups.add(Group.objects.get(name=Role.INSTITUTION_USER))
    return [
        ("superuser", "admin", DEMO_PASSWORD),
        ("association staff", "staff", DEMO_PASSWORD),
        ("exam administrator", "examadmin", DEMO_PASSWORD),
        ("provincial authority (Shandong)", "shandong", DEMO_PASSWORD),
        ("candidate", "candidate", DEMO_PASSWORD),
        ("candidate who sat an exam (scores, 成绩复核)", "examinee", DEMO_PASSWORD),
        ("institution user (institution login)", "institution", DEMO_PASSWORD),
    ]
