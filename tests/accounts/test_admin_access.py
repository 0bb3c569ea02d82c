"""What each staff role may see and do in Django admin (SPEC A9, F1, F5), page by page, against the
table in docs/operations.md ("Admin: what each staff role may see and do"): ACCESS below is that
table; every admin page is opened as the demo account of each role and must answer exactly it."""
import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"

SU, STAFF, EXAM, PROVINCE = "superuser", "association staff", "exam administrator", "provincial authority"
ROLES = {SU: "admin", STAFF: "staff", EXAM: "examadmin", PROVINCE: "shandong"}  # the demo accounts

# 认证人员 applications: read-only pages, every decision an action (the workflow decides which apply).
APPLICATION_ACTIONS = "v: approve, decide, return, reject, confirm_payment, assign_expert, reassign_expert"
# 课程备案: read-only too; file, return, reject, withdraw a filing, open a re-review (老课复审).
COURSE_ACTIONS = "v: approve, return, reject, withdraw_filing, open_rereview"

# Model pages: what each role may do there. v = the list and each object's page, a = add,
# c = change (a Save button on the object's page), d = delete, then the admin actions offered;
# "hidden": the list opens but never shows the row (the provincial authority's scope, SPEC F5).
# "accounts.user" is a candidate's account, "accounts.user (staff)" a staff member's.
ACCESS = [
    # page                           superuser                                  staff  exam   province
    ("accounts.user",                "vacd: delete_selected",                   "vc",  "v",   "v"),
    ("accounts.user (staff)",        "vacd: delete_selected",                   "v",   "v",   "hidden"),
    ("auth.group",                   "vacd: delete_selected",                   "",    "",    ""),
    ("accounts.institution",         "vacd: delete_selected",                   "vac", "",    ""),
    ("accounts.dishonestrecord",     "vacd: delete_selected",                   "vac", "",    ""),
    ("accounts.authfailure",         "vd: delete_selected",                     "",    "",    ""),
    ("accounts.smsmessage",          "vd: delete_selected",                     "",    "",    ""),
    ("account.emailaddress",         "vacd: delete_selected, make_verified",    "",    "",    ""),
    ("core.auditentry",              "v",                                       "v",   "v",   ""),
    ("core.notification",            "v",                                       "",    "",    ""),
    ("exams.exam",                   "vacd: delete_selected, publish, unpublish, cancel", "v",
                                     "vac: publish, unpublish, cancel",         ""),
    ("exams.area",                   "vacd: delete_selected",                   "",    "vac", ""),
    ("exams.venue",                  "vacd: delete_selected",                   "",    "vac", ""),
    ("exams.seatquota",              "vacd: delete_selected",                   "v",   "vac", ""),
    ("exams.seatrelease",            "vacd: delete_selected, cancel_releases",  "v",   "vac: cancel_releases", ""),
    ("photos.photo",                 "vc: approve, reject",                     "vc: approve, reject", "v", ""),
    ("registration.enrollment",      "vc: approve_review, reject_review",       "vc: approve_review, reject_review",
                                     "v",                                       "vc: approve_review, reject_review"),
    ("registration.admissionticket", "v",                                       "v",   "v",   ""),
    ("registration.score",           "vcd: delete_selected",                    "v",   "v",   ""),
    ("registration.scorereview",     "vcd: delete_selected, decide",            "v",   "vc: decide", ""),
    ("registration.rosterexport",    "vcd: delete_selected",                    "v",   "v",   "v"),
    ("payments.order",               "v",                                       "v",   "v",   ""),
    ("payments.payment",             "v",                                       "v",   "",    ""),
    ("payments.refund",              "v: retry",                                "v: retry", "", ""),
    ("payments.invoice",             "v: export_csv",                           "v: export_csv", "", ""),
    ("paysandbox.sandboxtransaction", "vacd: delete_selected",                  "",    "",    ""),
    ("certification.field",          "vacd: delete_selected",                   "vac", "",    ""),
    ("certification.level",          "vacd: delete_selected",                   "vac", "",    ""),
    ("certification.track",          "vacd: delete_selected",                   "vac", "",    ""),
    ("certification.practicingrelation", "vacd: delete_selected",               "v",   "",    ""),
    ("certification.workexperience", "v",                                       "v",   "",    ""),
    ("certification.auditexperience", "v",                                      "v",   "",    ""),
    ("certification.trainingrecord", "v",                                       "v",   "",    ""),
    ("certification.application",    APPLICATION_ACTIONS,                       APPLICATION_ACTIONS, "", ""),
    ("certification.applicationitem", "v",                                      "v",   "",    ""),
    ("certification.evidence",       "v",                                       "v",   "",    ""),
    ("certification.evaluation",     "v",                                       "v",   "",    ""),
    ("certification.itemverdict",    "v",                                       "v",   "",    ""),
    ("certification.paymentvoucher", "v: confirm, reject",                      "v: confirm, reject", "", ""),
    ("certification.certificate",    "v: suspend, reinstate, revoke",           "v: suspend, reinstate, revoke",
                                     "",                                        ""),
    ("training.coursecategory",      "vacd: delete_selected",                   "vac", "",    ""),
    ("training.evaluationcriterion", "vacd: delete_selected",                   "vac", "",    ""),
    ("training.teacherbinding",      "v: approve, return, reject",              "v: approve, return, reject", "", ""),
    ("training.course",              COURSE_ACTIONS,                            COURSE_ACTIONS, "", ""),
    ("training.unbinding",           "v: approve, reject",                      "v: approve, reject", "", ""),
    ("training.trainingplan",        "v",                                       "v",   "",    ""),
    ("training.coursematerial",      "v",                                       "v",   "",    ""),
    ("training.materialevaluation",  "v: assign_expert",                        "v: assign_expert", "", ""),
]

# Other admin pages: the roles that may open them; the others get 403.
PAGES = [
    ("admin index",                                 {SU, STAFF, EXAM, PROVINCE}),
    ("accounts.user/roles",                         {SU, STAFF}),
    ("accounts.user (staff)/roles",                 {SU}),
    ("accounts.user/password",                      {SU, STAFF}),
    ("accounts.user (staff)/password",              {SU}),
    ("accounts.user/identity",                      {SU, STAFF}),
    ("accounts.user (staff)/identity",              {SU}),
    ("accounts.user/reveal-id",                     {SU}),
    ("registration.admissionticket/allocate",       {SU, EXAM}),
    ("registration.admissionticket/import-scores",  {SU, EXAM}),
]

RIGHTS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


def expected(row) -> dict[str, tuple[str, tuple[str, ...]]]:
    """One ACCESS row as {role: (rights, actions)}."""
    result = {}
    for role, text in zip(ROLES, row[1:], strict=True):
        rights, _sep, actions = text.partition(":")
        result[role] = (rights.strip(), tuple(a.strip() for a in actions.split(",") if a.strip()))
    return result


def cell(rights: str, actions: tuple[str, ...]) -> str:
    """One cell of the documented table."""
    if rights == "hidden":
        return "not listed"
    text = ", ".join(RIGHTS[letter] for letter in "vacd" if letter in rights) or "—"
    return text + (f"; actions: {', '.join(actions)}" if actions else "")


# --------------------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    """The demo data (seed_demo: a candidate of 济南 in Shandong, paid, with an invoice, a photo and
    admission tickets) and one row of every other model shown in admin. Built once per module in a
    transaction rolled back at its end; returns primary keys by page."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)


def _build() -> dict:
    from accounts import services as accounts_services
    from accounts.models import AuthFailure, SmsMessage, User
    from exams import services as exams_services
    from exams.models import Exam, SeatQuota
    from payments.models import Order, Refund
    from payments.sandbox.models import SandboxTransaction
    from registration import services as registration_services
    from registration.models import AdmissionTicket, RosterExport, ScoreReview

    call_command("seed_demo", stdout=io.StringIO())
    users = {user.username: user for user in User.objects.all()}
    boss, candidate = users["admin"], users["candidate"]
    ticket = AdmissionTicket.objects.select_related("enrollment__exam", "subject").filter(
        enrollment__candidate=candidate, enrollment__exam__name__endswith="（加考）").order_by("number").first()
    exam = ticket.enrollment.exam
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([("准考证号", "科目", "成绩"), (ticket.number, ticket.subject.name, "88")])
    assert registration_services.scores_import(exam=exam, actor=boss, rows=csv.DictReader(io.StringIO(
        out.getvalue()))).ok
    review = ScoreReview.objects.create(ticket=ticket, candidate=candidate, reason="分数与预估不符")
    order = Order.objects.get(candidate=candidate, exam=exam)
    payment = order.payments.get()
    refund = Refund.objects.create(payment=payment, order=order, candidate=candidate, exam=exam, amount=order.amount)
    quota = SeatQuota.objects.filter(exam=Exam.objects.get(name__contains="第一期")).order_by("pk").first()
    release = exams_services.quota_release_seats(quota=quota, seats=1, actor=boss,
                                                 release_at=timezone.now() + datetime.timedelta(days=1))
    dishonest = accounts_services.dishonest_record_save(actor=boss, id_number="110101199001011237", name="失信者",
                                                        reason="替考", listed_until=None)
    failure = AuthFailure.objects.create(identifier="candidate", user=candidate, created_at=timezone.now())
    sms = SmsMessage.objects.create(mobile=candidate.mobile, text="【考试报名】测试短信")
    sandbox = SandboxTransaction.objects.create(trade_no="SBX-ACCESS-1", merchant_order_no="ACCESS-1",
                                                amount=Decimal("1.00"), subject="test",
                                                notify_url="http://127.0.0.1:9/", return_url="http://127.0.0.1:9/")
    exports = {username: RosterExport.objects.create(requested_by=users[username], exam=exam, format="csv").pk
               for username in ROLES.values()}  # each sees only their own exports
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group

    from core import notifications
    from core.models import AuditEntry

    notice = notifications.notify(recipients=[candidate], kind="test.notice", subject="Refund completed",
                                  body="Refund completed", channels=())[0]
    enrollment = ticket.enrollment
    certification = _certification(users["institution"].institution)
    training = _training(users["institution"], users["staff"])
    return {
        **certification,
        **training,
        "account.emailaddress": EmailAddress.objects.get(user=candidate).pk,
        "auth.group": Group.objects.get(name="expert").pk,
        "core.auditentry": AuditEntry.objects.order_by("pk").first().pk,
        "core.notification": notice.pk,
        "accounts.user": candidate.pk,
        "accounts.user (staff)": users["examadmin"].pk,
        "accounts.institution": users["institution"].institution_id,
        "accounts.authfailure": failure.pk,
        "accounts.smsmessage": sms.pk,
        "accounts.dishonestrecord": dishonest.pk,
        "exams.exam": exam.pk,
        "exams.area": enrollment.area_id,
        "exams.venue": ticket.venue_id,
        "exams.seatquota": quota.pk,
        "exams.seatrelease": release.pk,
        "photos.photo": candidate.photos.get().pk,
        "registration.enrollment": enrollment.pk,
        "registration.admissionticket": ticket.pk,
        "registration.score": ticket.score.pk,
        "registration.scorereview": review.pk,
        "registration.rosterexport": exports,
        "payments.order": order.pk,
        "payments.payment": payment.pk,
        "payments.refund": refund.pk,
        "payments.invoice": order.invoice.pk,
        "paysandbox.sandboxtransaction": sandbox.pk,
    }


def _certification(institution) -> dict:
    """One row of every certification model: a person of the demo institution applies."""
    from django.core.files.base import ContentFile

    from certification import services as certification_services
    from certification.models import (
        AuditExperience,
        Certificate,
        Evaluation,
        Evidence,
        Field,
        ItemKind,
        ItemVerdict,
        Level,
        PaymentVoucher,
        PracticingRelation,
        Track,
        TrainingRecord,
        WorkExperience,
    )
    from tests.accounts.factories import UserFactory

    # Codes and people of their own, whatever the demo holds of certification (its requirements would apply).
    field = Field.objects.create(code="ACCESS-QMS", name="质量管理体系（测试）")
    level = Level.objects.create(code="access-auditor", name="审核员（测试）", rank=9)
    track = Track.objects.create(field=field, level=level, fee=Decimal("300.00"))
    candidate = UserFactory(username="access-applicant", name="访问测试")
    relation = PracticingRelation.objects.create(person=candidate, institution=institution,
                                                 started_on=datetime.date(2022, 3, 1))
    work = WorkExperience.objects.create(person=candidate, employer="示例认证公司", position="审核员",
                                         started_on=datetime.date(2022, 3, 1))
    audit = AuditExperience.objects.create(person=candidate, organisation="受审核组织", field=field, role="member",
                                           audited_on=datetime.date(2024, 5, 1), days=Decimal("4.0"))
    training = TrainingRecord.objects.create(person=candidate, course="QMS 审核员培训", provider="培训机构", hours=40,
                                             completed_on=datetime.date(2023, 5, 1))
    app = certification_services.application_create(applicant=candidate, kind="registration", track=track)
    item = certification_services.item_add(app=app, actor=candidate, kind=ItemKind.WORK, entry=work)
    certification_services.application_submit(app=app, actor=candidate)
    evidence = Evidence(application=app, item=item, name="在职证明.pdf", content_type="application/pdf",
                        uploaded_by=candidate)
    evidence.file.save("proof.pdf", ContentFile(b"%PDF-1.4 proof"), save=True)
    voucher = PaymentVoucher(application=app, amount=track.fee, uploaded_by=candidate)
    voucher.file.save("voucher.pdf", ContentFile(b"%PDF-1.4 voucher"), save=True)
    evaluation = Evaluation.objects.create(application=app, expert=candidate, result="conforming")
    verdict = ItemVerdict.objects.create(evaluation=evaluation, item=item, conforming=True)
    today = timezone.localdate()
    certificate = Certificate.objects.create(number="ACCESS-QMS-1999-00000011", holder=candidate, track=track,
                                             institution=institution, issued_on=today,
                                             valid_until=today + datetime.timedelta(days=900))
    return {
        "certification.field": field.pk, "certification.level": level.pk, "certification.track": track.pk,
        "certification.practicingrelation": relation.pk, "certification.workexperience": work.pk,
        "certification.auditexperience": audit.pk, "certification.trainingrecord": training.pk,
        "certification.application": app.pk, "certification.applicationitem": item.pk,
        "certification.evidence": evidence.pk, "certification.evaluation": evaluation.pk,
        "certification.itemverdict": verdict.pk, "certification.paymentvoucher": voucher.pk,
        "certification.certificate": certificate.pk,
    }


def _training(officer, association) -> dict:
    """One row of every training model: the demo institution files a course taught by a bound teacher."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.accounts.factories import UserFactory
    from training import services as training_services
    from training.models import CourseCategory, EvaluationCriterion
    from training.states import BINDING

    category = CourseCategory.objects.create(code="ACCESS-TRAIN", name="访问测试课程类别")
    teacher = UserFactory(username="access-teacher", name="访问测试教师")
    binding = training_services.binding_submit(teacher=teacher, category=category, experiences=[{"years": 5}])
    BINDING.perform(binding, "approve", actor=association)
    course = training_services.course_save(actor=officer, category=category, title="访问测试课程", hours=8,
                                           syllabus="大纲", teachers=[teacher])
    training_services.course_submit(course=course, actor=officer)
    row = course.teachers.get()
    training_services.teacher_answer(course_teacher=row, teacher=teacher, confirm=True)
    course = training_services.course_decide(course=course, actor=association, action="approve")
    unbinding = training_services.unbinding_request(course_teacher=row, teacher=teacher, reason="工作调整")
    start = timezone.localdate() + datetime.timedelta(days=40)
    plan = training_services.plan_save(actor=officer, course=course, teachers=[teacher], starts_on=start,
                                       ends_on=start + datetime.timedelta(days=1), place="济南", capacity=20)
    material = training_services.material_add(course=course, actor=officer,
                                              upload=SimpleUploadedFile("课件.pdf", b"%PDF-1.4 access"))
    criterion = EvaluationCriterion.objects.create(kind="document", name="内容准确", max_points=10)
    evaluation = training_services.evaluation_open(course=course, purpose="online_course", kind="document",
                                                   actor=officer)
    return {
        "training.coursecategory": category.pk, "training.evaluationcriterion": criterion.pk,
        "training.teacherbinding": binding.pk, "training.course": course.pk, "training.unbinding": unbinding.pk,
        "training.trainingplan": plan.pk, "training.coursematerial": material.pk,
        "training.materialevaluation": evaluation.pk,
    }


@pytest.fixture
def world(_world, db):
    return _world


def login(role: str) -> Client:
    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=ROLES[role]))
    return client


def url_name(page: str, view: str) -> str:
    app_label, model = page.split(" ")[0].split(".")
    return f"admin:{app_label}_{model}_{view}"


def observe(client: Client, page: str, pk) -> tuple[str, tuple[str, ...]]:
    """Open the page's list, add form, object page and delete page: what the role may do there.
    "hidden": the list opens but never holds this row (a provincial authority's scope)."""
    changelist = client.get(reverse(url_name(page, "changelist")))
    add = client.get(reverse(url_name(page, "add")))
    change = client.get(reverse(url_name(page, "change"), args=[pk]))
    delete = client.get(reverse(url_name(page, "delete"), args=[pk]))
    for response in (changelist, add, change, delete):
        assert response.status_code in (200, 302, 403), (page, response.request["PATH_INFO"], response.status_code)
    actions = ()
    if changelist.status_code == 200:
        select = re.search(r'<select name="action".*?</select>', changelist.content.decode(), re.DOTALL)
        actions = tuple(re.findall(r'<option value="(\w+)"', select.group(0))) if select else ()
    if changelist.status_code == 200 and change.status_code == 302:
        assert change.url == reverse("admin:index") and add.status_code == delete.status_code == 403
        return "hidden", actions
    rights = ""
    if changelist.status_code == 200:
        assert change.status_code == 200
        rights += "v"
    else:
        assert (changelist.status_code, change.status_code) == (403, 403)
    if add.status_code == 200:
        rights += "a"
    if change.status_code == 200 and 'name="_save"' in change.content.decode():
        rights += "c"
    if delete.status_code == 200:
        rights += "d"
    return rights, actions


def page_url(page: str, world: dict) -> str:
    if page == "admin index":
        return reverse("admin:index")
    target, view = page.split("/")
    if target.startswith("accounts.user"):
        name = {"password": "admin:auth_user_password_change", "identity": "admin:accounts_user_identity",
                "reveal-id": "admin:accounts_user_reveal_id", "roles": "admin:accounts_user_roles"}[view]
        return reverse(name, args=[world[target]])
    return reverse({"allocate": "admin:registration_tickets_allocate",
                    "import-scores": "admin:registration_scores_import"}[view])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ACCESS, ids=[row[0] for row in ACCESS])
def test_each_role_may_do_exactly_what_the_table_says(world, row, role):
    page = row[0]
    pk = world[page][ROLES[role]] if page == "registration.rosterexport" else world[page]
    assert observe(login(role), page, pk) == expected(row)[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page, allowed", PAGES, ids=[page for page, _allowed in PAGES])
def test_other_admin_pages_open_for_the_roles_the_table_names(world, page, allowed, role):
    assert login(role).get(page_url(page, world)).status_code == (200 if role in allowed else 403)


def test_the_table_covers_every_admin_page(world):
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert {row[0].split(" ")[0] for row in ACCESS} == registered
    assert set(world) == {row[0] for row in ACCESS}


def test_accounts_without_admin_access_are_sent_to_the_admin_login(world):
    from accounts.models import User

    for username in ("candidate", "institution"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for page in ("admin index", "accounts.user/roles"):
            response = client.get(page_url(page, world))
            assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
        response = client.get(reverse("admin:accounts_user_changelist"))
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def documented_rows() -> dict[str, list[str]]:
    """The rows of the page tables under "Admin: what each staff role may see and do", by the `key`
    in their first cell."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Admin: what each staff role may see and do", 1)[1].split("\n## ", 1)[0]
    rows, in_table = {}, False
    for line in section.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        in_table = in_table or cells[0] == "page"
        key = re.search(r"`([^`]+)`", cells[0]) if in_table else None
        if key:
            rows[key.group(1)] = cells[1:5]
    return rows


def test_the_documented_table_says_the_same():
    documented = documented_rows()
    for row in ACCESS:
        wanted = [cell(*expected(row)[role]) for role in ROLES]
        assert documented.get(row[0]) == wanted, row[0]
    for page, allowed in PAGES:
        assert documented.get(page) == ["yes" if role in allowed else "—" for role in ROLES], page
    assert len(documented) == len(ACCESS) + len(PAGES)


# --------------------------------------------------------------------------- actions beyond one's rights


def run_action(client: Client, page: str, action: str, pks, **extra):
    return client.post(reverse(url_name(page, "changelist")),
                       {"action": action, "_selected_action": [str(pk) for pk in pks], "index": "0", **extra})


def test_an_exam_administrator_cannot_decide_qualification_reviews(world):
    from registration.models import Enrollment, EnrollmentStatus

    pk = world["registration.enrollment"]
    Enrollment.objects.filter(pk=pk).update(status=EnrollmentStatus.IN_REVIEW)  # as if waiting for review
    client = login(EXAM)
    run_action(client, "registration.enrollment", "approve_review", [pk])
    run_action(client, "registration.enrollment", "reject_review", [pk], apply="1", note="材料不全")
    assert Enrollment.objects.get(pk=pk).status == EnrollmentStatus.IN_REVIEW
    run_action(login(STAFF), "registration.enrollment", "approve_review", [pk])
    assert Enrollment.objects.get(pk=pk).status == EnrollmentStatus.CONFIRMED


def test_association_staff_cannot_cancel_a_seat_release(world):
    from exams.models import SeatRelease

    pk = world["exams.seatrelease"]
    run_action(login(STAFF), "exams.seatrelease", "cancel_releases", [pk])
    assert SeatRelease.objects.get(pk=pk).status == "scheduled"
    run_action(login(EXAM), "exams.seatrelease", "cancel_releases", [pk])
    assert SeatRelease.objects.get(pk=pk).status == "cancelled"
