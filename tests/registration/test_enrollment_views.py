"""The enrollment wizard through its pages: notice → information → subjects → area → confirmation."""
import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from exams.models import Area, SeatQuota, Subject
from registration.models import Enrollment
from tests.accounts.factories import UserFactory
from tests.registration.conftest import INFO

pytestmark = pytest.mark.django_db


def start(client, exam):
    response = client.post(reverse("registration:exam-notice", args=[exam.pk]), {"accept": "on"})
    assert response.status_code == 302
    return Enrollment.objects.get(exam=exam)


def url(name, enrollment):
    return reverse(f"registration:enrollment-{name}", args=[enrollment.pk])


def subjects_payload(sittings, first="GB", second="QMS"):
    data = {}
    for sitting, code in zip(sittings, (first, second)):
        data[f"sitting_{sitting.pk}"] = str(Subject.objects.get(exam=sitting.exam, code=code).pk) if code else ""
    return data


def walk_to_area(client, exam, sittings):
    enrollment = start(client, exam)
    assert client.post(url("info", enrollment), INFO).status_code == 302
    assert client.post(url("subjects", enrollment), subjects_payload(sittings)).status_code == 302
    return enrollment


def test_exam_list_shows_open_and_closed_exams_with_my_status(logged_in, exam):
    page = logged_in.get(reverse("registration:exam-list")).content.decode()
    assert exam.name in page and "未报考" in page
    assert "报名已结束" in page or "已结束" in page
    start(logged_in, exam)
    page = logged_in.get(reverse("registration:exam-list")).content.decode()
    assert "填写中" in page


def test_notice_must_be_accepted_and_acceptance_is_recorded(logged_in, exam):
    response = logged_in.post(reverse("registration:exam-notice", args=[exam.pk]), {})
    assert response.status_code == 200 and "accept" in response.context["form"].errors
    assert not Enrollment.objects.exists()
    enrollment = start(logged_in, exam)
    assert enrollment.notice_accepted_at is not None and enrollment.status == "draft"


def test_whole_wizard_to_confirmation(logged_in, exam, sittings, area):
    enrollment = walk_to_area(logged_in, exam, sittings)
    page = logged_in.get(url("area", enrollment)).content.decode()
    assert "济南" in page and "剩余120" in page
    assert logged_in.post(url("area", enrollment), {"area": area.pk}).status_code == 302
    page = logged_in.get(url("confirm", enrollment)).content.decode()
    assert "认证通用基础" in page and "QMS 基础知识" in page and "160.00" in page and "济南" in page
    response = logged_in.post(url("confirm", enrollment), {"confirm": "on"})
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed" and enrollment.confirmed_at
    page = logged_in.get(url("progress", enrollment)).content.decode()
    assert "已确认，待缴费" in page
    assert SeatQuota.objects.get(exam=exam, area=area, sitting=sittings[0]).held == 0  # payment takes seats


def test_steps_in_order(logged_in, exam, sittings):
    enrollment = start(logged_in, exam)
    response = logged_in.post(url("subjects", enrollment), subjects_payload(sittings))
    assert response.status_code == 400
    assert logged_in.get(url("area", enrollment)).url == url("subjects", enrollment)
    response = logged_in.post(url("confirm", enrollment), {"confirm": "on"})
    assert response.status_code == 400
    enrollment.refresh_from_db()
    assert enrollment.status == "draft"


def test_enterprise_invoice_needs_a_valid_credit_code_and_personal_title_is_the_name(logged_in, exam, candidate):
    enrollment = start(logged_in, exam)
    bad = {**INFO, "invoice_wanted": "True", "invoice_type": "enterprise", "invoice_title": "某公司",
           "invoice_tax_number": "91370100MA3C5X7R2X"}
    response = logged_in.post(url("info", enrollment), bad)
    assert response.status_code == 200 and "invoice_tax_number" in response.context["form"].errors
    from accounts.demo import credit_code

    good = {**bad, "invoice_tax_number": credit_code("91370100MA3C5X7R2")}
    assert logged_in.post(url("info", enrollment), good).status_code == 302
    personal = {**INFO, "invoice_wanted": "True", "invoice_type": "personal", "invoice_title": "别人的名字"}
    assert logged_in.post(url("info", enrollment), personal).status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.invoice_title, enrollment.invoice_tax_number) == (candidate.name, "")


def test_info_errors_are_next_to_fields_and_nothing_saved(logged_in, exam):
    enrollment = start(logged_in, exam)
    response = logged_in.post(url("info", enrollment), {**INFO, "mobile": "12345", "mailing_address": ""})
    assert set(response.context["form"].errors) == {"mobile", "mailing_address"}
    enrollment.refresh_from_db()
    assert enrollment.info_saved_at is None


@pytest.mark.parametrize("tamper", ["subject_in_wrong_sitting", "unknown_subject"])
def test_tampered_subjects_are_refused_with_4xx(logged_in, exam, sittings, tamper):
    enrollment = start(logged_in, exam)
    logged_in.post(url("info", enrollment), INFO)
    data = subjects_payload(sittings)
    if tamper == "subject_in_wrong_sitting":  # QMS is a second-sitting subject
        data[f"sitting_{sittings[0].pk}"] = str(Subject.objects.get(exam=exam, code="QMS").pk)
    else:
        data[f"sitting_{sittings[1].pk}"] = "999999"
    response = logged_in.post(url("subjects", enrollment), data)
    assert 400 <= response.status_code < 500
    assert not enrollment.choices.exists()


def test_at_least_one_subject(logged_in, exam, sittings):
    enrollment = start(logged_in, exam)
    logged_in.post(url("info", enrollment), INFO)
    response = logged_in.post(url("subjects", enrollment), {f"sitting_{s.pk}": "" for s in sittings})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not enrollment.choices.exists()


def test_one_subject_per_sitting_is_all_the_form_accepts(logged_in, exam, sittings):
    enrollment = start(logged_in, exam)
    logged_in.post(url("info", enrollment), INFO)
    qms, ems = (Subject.objects.get(exam=exam, code=c).pk for c in ("QMS", "EMS"))
    logged_in.post(url("subjects", enrollment), {f"sitting_{sittings[1].pk}": [str(qms), str(ems)]})
    assert enrollment.choices.count() <= 1


def test_area_without_seats_is_refused_with_alternatives(logged_in, exam, sittings):
    enrollment = walk_to_area(logged_in, exam, sittings)
    beijing = Area.objects.get(name="北京")
    SeatQuota.objects.filter(exam=exam, area=beijing, sitting=sittings[1]).update(held=3)  # sold out meanwhile
    response = logged_in.post(url("area", enrollment), {"area": beijing.pk})
    assert response.status_code == 409
    error = str(response.context["form"].errors)
    assert "第二场" in error and "济南" in error and "北京" not in error.split("：")[-1]
    enrollment.refresh_from_db()
    assert enrollment.area is None


def test_unknown_area_is_a_400(logged_in, exam, sittings):
    enrollment = walk_to_area(logged_in, exam, sittings)
    assert logged_in.post(url("area", enrollment), {"area": "987654"}).status_code == 400


def test_another_candidates_enrollment_is_not_found(client, exam, sittings, candidate):
    client.force_login(candidate)
    enrollment = start(client, exam)
    intruder = UserFactory()
    client.force_login(intruder)
    for name in ["progress", "info", "subjects", "area", "confirm"]:
        assert client.get(url(name, enrollment)).status_code == 404
    assert client.post(url("info", enrollment), INFO).status_code == 404
    assert client.post(url("withdraw", enrollment)).status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.info_saved_at is None and enrollment.status == "draft"


def test_nothing_changes_outside_the_registration_window(logged_in, exam, sittings, area, candidate):
    enrollment = walk_to_area(logged_in, exam, sittings)
    with time_machine.travel(exam.registration_closes_at + datetime.timedelta(minutes=1)):
        logged_in.force_login(candidate)  # a week later the old session has timed out
        page = logged_in.get(url("area", enrollment))
        assert "报名" in page.context["locked_reason"]
        response = logged_in.post(url("area", enrollment), {"area": area.pk})
        assert response.status_code == 403
        response = logged_in.post(url("info", enrollment), {**INFO, "mailing_address": "改了"})
        assert response.status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.area is None and enrollment.mailing_address != "改了"


def test_closed_exam_cannot_be_started(logged_in, exam, candidate):
    with time_machine.travel(exam.registration_closes_at + datetime.timedelta(minutes=1)):
        logged_in.force_login(candidate)
        response = logged_in.post(reverse("registration:exam-notice", args=[exam.pk]), {"accept": "on"})
    assert response.status_code == 403 and not Enrollment.objects.exists()


def test_editing_after_confirmation_needs_a_new_confirmation(logged_in, exam, sittings, area):
    enrollment = walk_to_area(logged_in, exam, sittings)
    logged_in.post(url("area", enrollment), {"area": area.pk})
    logged_in.post(url("confirm", enrollment), {"confirm": "on"})
    logged_in.post(url("subjects", enrollment), subjects_payload(sittings, second="EMS"))
    enrollment.refresh_from_db()
    assert enrollment.status == "draft" and enrollment.area_id == area.pk  # same sittings: area kept
    logged_in.post(url("subjects", enrollment), subjects_payload(sittings, first="GB", second=None))
    enrollment.refresh_from_db()
    assert enrollment.area is None  # other sittings: choose the area again


def test_double_accept_creates_one_enrollment(logged_in, exam):
    start(logged_in, exam)
    logged_in.post(reverse("registration:exam-notice", args=[exam.pk]), {"accept": "on"})
    assert Enrollment.objects.count() == 1


def test_withdraw_and_start_again(logged_in, exam):
    enrollment = start(logged_in, exam)
    logged_in.post(url("withdraw", enrollment))
    enrollment.refresh_from_db()
    assert enrollment.status == "withdrawn"
    second = logged_in.post(reverse("registration:exam-notice", args=[exam.pk]), {"accept": "on"})
    assert second.status_code == 302 and Enrollment.objects.exclude(status="withdrawn").count() == 1


def test_view_my_registration_lists_choices(logged_in, exam, sittings, area):
    enrollment = walk_to_area(logged_in, exam, sittings)
    logged_in.post(url("area", enrollment), {"area": area.pk})
    page = logged_in.get(reverse("registration:my-enrollments")).content.decode()
    assert exam.name in page and "QMS 基础知识" in page and "济南" in page


def test_availability_page_shows_every_area_and_sitting(client, exam):
    page = client.get(reverse("exams:availability", args=[exam.pk])).content.decode()
    for city in ["济南", "青岛", "天津", "北京", "石家庄", "郑州", "合肥", "南京", "上海"]:
        assert city in page
    data = client.get(reverse("exams:availability-json", args=[exam.pk])).json()
    assert len(data["areas"]) == 9 and all(len(a["seats"]) == 2 for a in data["areas"])


def test_candidates_land_on_the_exam_list_after_login(client, candidate):
    from tests.accounts.factories import PASSWORD

    response = client.post(reverse("account_login"), {"login": candidate.username, "password": PASSWORD,
                                                      "captcha_0": "k", "captcha_1": "PASSED",
                                                      "entry": "individual"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("registration:exam-list")


def test_timezone_of_windows_is_shanghai(logged_in, exam):
    page = logged_in.get(reverse("registration:exam-list")).content.decode()
    assert timezone.localtime(exam.registration_opens_at).strftime("%Y-%m-%d %H:%M") in page
