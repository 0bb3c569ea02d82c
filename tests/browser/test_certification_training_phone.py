"""The certification and training pages of every role at phone size (390×844): each menu page starts
with its heading in the first screen and never scrolls sideways, with data in its lists (issue 14's
phone rule applied to the pages issues 15 and 16 added)."""
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import Role
from certification import services as certification_services
from certification.models import ItemKind
from tests.browser.conftest import watch_csp
from tests.browser.screens import (
    PHONE,
    assert_heading_in_first_screen,
    assert_no_sideways_scroll,
    log_in_as,
)
from tests.certification.factories import expert, world
from training import services as training_services
from training.models import CourseCategory
from training.states import BINDING

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, paths):
    for path in paths:
        response = page.goto(path)
        assert response.ok, path
        assert_heading_in_first_screen(page)
        assert_no_sideways_scroll(page)


def test_every_roles_certification_and_training_pages_fit_a_phone(browser, live_server):
    w = world()
    app = certification_services.application_create(applicant=w.applicant, kind="registration", track=w.track)
    for entry in (w.work, *w.audits):
        certification_services.item_add(app=app, actor=w.applicant, kind=ItemKind.AUDIT if entry in w.audits
                                        else ItemKind.WORK, entry=entry)
    certification_services.item_add(app=app, actor=w.applicant, kind=ItemKind.TRAINING, entry=w.training)
    certification_services.application_submit(app=app, actor=w.applicant)
    judge = expert("judge", w.other_body)
    category = CourseCategory.objects.create(code="QMS-T", name="QMS 审核员培训")
    binding = training_services.binding_submit(teacher=w.applicant, category=category,
                                               experiences=[{"employer": "济南示例认证有限公司"}])
    BINDING.perform(binding, "approve", actor=w.staff)
    w.staff.groups.add(Group.objects.get(name=Role.ASSOCIATION_STAFF))

    pages = {
        w.applicant: [reverse(f"certification:{name}") for name in
                      ("apply", "my-items", "library", "my-certificates", "annual")]
        + [reverse("certification:application-detail", args=[app.pk])]
        + [reverse(f"training:{name}") for name in ("binding-list", "teacher-course-list", "teacher-plan-list")],
        w.officer: [reverse("certification:review-list"), reverse("certification:review-detail", args=[app.pk]),
                    reverse("certification:institution-people"), reverse("certification:institution-certificates")]
        + [reverse(f"training:{name}") for name in ("course-list", "plan-list", "unbinding-list")],
        judge: [reverse("certification:evaluation-list"), reverse("training_expert:online-course-list"),
                reverse("training_expert:rereview-list")],
    }
    for user, paths in pages.items():
        context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
        page = context.new_page()
        violations = watch_csp(page)
        log_in_as(page, live_server, user)
        check(page, paths)
        context.close()
        assert violations == [], violations
    staff_context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    page = staff_context.new_page()
    log_in_as(page, live_server, w.staff)
    for path in (reverse("staff:certification-stages"), reverse("staff:training-plans")):
        response = page.goto(path)
        assert response.ok, path
        assert_no_sideways_scroll(page)
    staff_context.close()
