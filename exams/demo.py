"""Demo exams for `seed_demo`: an open CCAA-like exam whose windows follow the clock, and a past one."""
import datetime
from decimal import Decimal

from django.utils import timezone

from core.regions import Province

from .models import Area, Exam, ExamBody, ExamStatus, SeatQuota, Sitting, Subject, Venue

NOTICE = """1. 考生应认真阅读本须知，确保充分知晓考试相关规定和要求。
2. 认证人员考试或注册平台均应本人进行操作，并妥善保管自己的账户密码等，不随意告诉他人，以防账户信息被窃或被不当利用。失信的认证人员将按照《认证机构和认证人员失信管理规范》列入失信平台，情节严重的实施联合惩戒。
3. 考试费为每人每场 80 元人民币。订单一旦生成，则不允许修改所选考区及科目信息；缴费完成后可通过【更换考点城市】修改考区，每人只有一次退费机会。
4. 中国认证认可协会官网、统考报名网站和协会微信公众号是考试信息发布的官方渠道，请考生关注以上渠道，以免错过重要考试信息。"""

COMMITMENT = "本人承诺所填报的信息真实、准确、完整，已知悉告知事项和证明义务，自愿承担相关责任。"

# (city, province, venue address, seats in sitting 1, seats in sitting 2)
AREAS = [
    ("济南", Province.SHANDONG, "济南市历下区经十路 16 号 山东考试中心", 120, 100),
    ("青岛", Province.SHANDONG, "青岛市市南区香港中路 10 号 青岛职业技术学院", 60, 40),
    ("天津", Province.TIANJIN, "天津市河西区友谊路 35 号 天津考试中心", 80, 80),
    ("北京", Province.BEIJING, "北京市海淀区学院路 30 号 北京考试中心", 5, 3),
    ("石家庄", Province.HEBEI, "石家庄市裕华区槐安东路 136 号", 50, 50),
    ("郑州", Province.HENAN, "郑州市金水区文化路 80 号", 70, 60),
    ("合肥", Province.ANHUI, "合肥市蜀山区长江西路 130 号", 40, 40),
    ("南京", Province.JIANGSU, "南京市鼓楼区北京西路 15 号", 90, 2),
    ("上海", Province.SHANGHAI, "上海市徐汇区漕溪北路 336 号 上海考试中心", 4, 1),
]
SITTING_1_SUBJECTS = [("GB", "认证通用基础")]
SITTING_2_SUBJECTS = [("QMS", "QMS 基础知识"), ("EMS", "EMS 基础知识"), ("OHSMS", "OHSMS 基础知识"),
                      ("SC", "服务认证基础")]
FEE = Decimal("80.00")


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def seed() -> Exam:
    now = timezone.now()
    today = timezone.localdate()
    exam_day = today + datetime.timedelta(days=60)
    exam, created = Exam.objects.get_or_create(
        name=f"{today.year}年第一期中国认证认可协会认证人员注册全国统一考试",
        defaults=dict(
            body=ExamBody.CCAA, status=ExamStatus.PUBLISHED,
            registration_opens_at=now - datetime.timedelta(days=1),
            registration_closes_at=now + datetime.timedelta(days=7),
            refund_opens_at=now - datetime.timedelta(days=1), refund_closes_at=now + datetime.timedelta(days=7),
            ticket_print_opens_at=_at(exam_day - datetime.timedelta(days=5), 9),
            ticket_print_closes_at=_at(exam_day + datetime.timedelta(days=1), 17),
            exam_starts_on=exam_day, exam_ends_on=exam_day + datetime.timedelta(days=1),
            notice=NOTICE, commitment=COMMITMENT,
        ),
    )
    if created:
        first = Sitting.objects.create(exam=exam, name="第一场", starts_at=_at(exam_day, 9),
                                       ends_at=_at(exam_day, 11))
        second = Sitting.objects.create(exam=exam, name="第二场", starts_at=_at(exam_day, 14),
                                        ends_at=_at(exam_day, 16))
        for sitting, subjects in ((first, SITTING_1_SUBJECTS), (second, SITTING_2_SUBJECTS)):
            for code, name in subjects:
                sitting.subjects.add(Subject.objects.create(exam=exam, code=code, name=name, fee=FEE))
        for order, (city, province, address, seats_1, seats_2) in enumerate(AREAS):
            area, _created = Area.objects.get_or_create(province=province, name=city, defaults={"order": order})
            Venue.objects.get_or_create(area=area, name=f"{city}考点", defaults={"address": address})
            SeatQuota.objects.create(exam=exam, area=area, sitting=first, capacity=seats_1)
            SeatQuota.objects.create(exam=exam, area=area, sitting=second, capacity=seats_2)
    seed_closed(now, today)
    return exam


def seed_closed(now, today) -> Exam:
    """A second exam whose registration has closed: admission tickets can be printed now."""
    exam_day = today + datetime.timedelta(days=5)
    return _two_sitting_exam(f"{today.year}年中国认证认可协会认证人员注册全国统一考试（加考）", dict(
        registration_opens_at=now - datetime.timedelta(days=20),
        registration_closes_at=now - datetime.timedelta(days=3),
        refund_opens_at=now - datetime.timedelta(days=20), refund_closes_at=now - datetime.timedelta(days=3),
        ticket_print_opens_at=now - datetime.timedelta(days=1), ticket_print_closes_at=_at(exam_day, 18),
        exam_starts_on=exam_day, exam_ends_on=exam_day,
        # 成绩复核: once scores are out (staff import them in admin), for ten days.
        score_review_opens_at=_at(exam_day + datetime.timedelta(days=15), 9),
        score_review_closes_at=_at(exam_day + datetime.timedelta(days=25), 17),
    ), exam_day)


def seed_held(now, today) -> Exam:
    """A third exam, held three weeks ago: its scores are out and the score review window (成绩复核) is open."""
    exam_day = today - datetime.timedelta(days=21)
    return _two_sitting_exam(f"{today.year}年中国认证认可协会认证人员注册全国统一考试（秋季）", dict(
        registration_opens_at=now - datetime.timedelta(days=70),
        registration_closes_at=now - datetime.timedelta(days=40),
        refund_opens_at=now - datetime.timedelta(days=70), refund_closes_at=now - datetime.timedelta(days=40),
        ticket_print_opens_at=now - datetime.timedelta(days=28), ticket_print_closes_at=_at(exam_day, 18),
        exam_starts_on=exam_day, exam_ends_on=exam_day,
        score_review_opens_at=now - datetime.timedelta(days=2), score_review_closes_at=now + datetime.timedelta(days=8),
    ), exam_day)


def _two_sitting_exam(name: str, windows: dict, exam_day: datetime.date) -> Exam:
    exam, created = Exam.objects.get_or_create(name=name, defaults=dict(
        body=ExamBody.CCAA, status=ExamStatus.PUBLISHED, notice=NOTICE, commitment=COMMITMENT, **windows))
    if created:
        first = Sitting.objects.create(exam=exam, name="第一场", starts_at=_at(exam_day, 9), ends_at=_at(exam_day, 11))
        second = Sitting.objects.create(exam=exam, name="第二场", starts_at=_at(exam_day, 14),
                                        ends_at=_at(exam_day, 16))
        for sitting, subjects in ((first, SITTING_1_SUBJECTS), (second, SITTING_2_SUBJECTS[:2])):
            for code, name in subjects:
                sitting.subjects.add(Subject.objects.create(exam=exam, code=code, name=name, fee=FEE))
        for city, province, address, seats_1, seats_2 in AREAS[:3]:
            area, _created = Area.objects.get_or_create(province=province, name=city)
            Venue.objects.get_or_create(area=area, name=f"{city}考点", defaults={"address": address})
            SeatQuota.objects.create(exam=exam, area=area, sitting=first, capacity=seats_1)
            SeatQuota.objects.create(exam=exam, area=area, sitting=second, capacity=seats_2)
    return exam
