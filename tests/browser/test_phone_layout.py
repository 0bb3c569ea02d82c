"""The layout at phone size (390×844): the side menu collapses into the header's menu panel, so each
candidate page's heading and main action are in the first screen; the panel opens (with JavaScript as
an offcanvas, without it as the target of the menu link) and its entries work; tables are stacked
cards; staff pages never scroll sideways. At desktop size the side menu stays beside the page."""
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import Role
from exams import demo
from payments import demo as payments_demo
from registration import services as registration_services
from tests.accounts.factories import EducationFactory, UserFactory
from tests.browser.conftest import watch_csp
from tests.browser.screens import (
    DESKTOP,
    PHONE,
    assert_heading_in_first_screen,
    assert_in_first_screen,
    assert_no_sideways_scroll,
    log_in_as,
)
from tests.photos.factories import approved_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def candidate():
    """A candidate with an approved photo, paid for the demo's closed exam and holding its tickets."""
    exam = demo.seed()
    closed = demo.seed_closed(exam.registration_opens_at, exam.registration_opens_at.date())
    person = UserFactory(username="phone01", name="张手机")
    EducationFactory(user=person)
    approved_photo(person)
    payments_demo.register_and_pay(person, closed)
    registration_services.tickets_allocate(exam=closed, actor=None)
    return person


def side_menu_entry(page, name):
    return page.get_by_role("navigation", name="账户菜单").get_by_role("link", name=name)


def test_candidate_pages_on_a_phone_start_with_their_heading(page, live_server, candidate):
    page.set_viewport_size(PHONE)
    log_in_as(page, live_server, candidate)
    for path in (reverse("registration:exam-list"), reverse("registration:my-exams"),
                 reverse("inbox:notification-list"), reverse("accounts:profile"),
                 reverse("payments:refund-index"), reverse("payments:change-city-index"),
                 reverse("photos:upload")):
        page.goto(path)
        assert_heading_in_first_screen(page)
        assert_no_sideways_scroll(page)
        # The side menu is not on the page itself: it is in the header's panel, closed.
        expect(page.get_by_role("link", name="修改密码")).to_have_count(0)

    # The exam list: the first exam's 报名 button is in the first screen, and each exam is a card whose
    # name runs the card's width (in the five-column table it wrapped a few characters a line).
    page.goto(reverse("registration:exam-list"))
    register = page.get_by_role("link", name="报名", exact=True).first
    assert_in_first_screen(page, register, "the first exam's 报名 button")
    table = page.get_by_test_id("exam-table")
    name = table.locator("tbody tr").first.get_by_role("link").first
    status = table.locator("tbody tr").first.locator("td[data-label='报考情况']")
    assert name.bounding_box()["width"] >= 200
    assert status.bounding_box()["y"] > name.bounding_box()["y"]  # one under the other, not side by side
    expect(status).to_have_text("未报考")
    table.locator("tbody tr").first.get_by_role("link", name="名额查询").click()  # seats per area and sitting
    page.wait_for_url(re.compile(r"/exams/\d+/"))
    assert_heading_in_first_screen(page)
    assert_no_sideways_scroll(page)

    # 我的考试: each admission ticket is a card, its score under its label; nothing wider than the phone.
    page.goto(reverse("registration:my-exams"))
    score = page.locator("td[data-label='成绩']").first
    expect(score).to_be_visible()
    ticket = page.locator("td[data-label='准考证号']").first
    assert score.bounding_box()["y"] > ticket.bounding_box()["y"]
    assert_no_sideways_scroll(page)

    # 个人信息: an education record is a card too (seven columns did not fit a phone).
    page.goto(reverse("accounts:profile"))
    cells = page.get_by_test_id("education-table").locator("tbody tr").first.locator("td")
    assert cells.nth(2).bounding_box()["y"] > cells.nth(0).bounding_box()["y"]
    assert cells.nth(2).bounding_box()["width"] >= 300
    assert_no_sideways_scroll(page)


def test_the_menu_opens_from_the_header_on_a_phone(page, live_server, candidate):
    page.set_viewport_size(PHONE)
    log_in_as(page, live_server, candidate)
    page.goto(reverse("registration:exam-list"))
    menu = page.get_by_test_id("menu-button")
    assert_in_first_screen(page, menu, "the menu button")

    menu.click()
    expect(side_menu_entry(page, "个人信息")).to_be_visible()
    expect(page.locator("#site-menu.showing")).to_have_count(0)  # the slide-in has ended
    page.screenshot(path=str(SCREENSHOTS / "phone-menu.png"))
    expect(page.get_by_role("link", name="我的考试（准考证与成绩）")).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_be_attached()
    side_menu_entry(page, "个人信息").click()
    page.wait_for_url(re.compile(r"/accounts/profile/$"))
    assert_heading_in_first_screen(page)

    # The panel closes again with its close button, and the page is there as before.
    menu.click()
    expect(side_menu_entry(page, "修改密码")).to_be_visible()
    page.get_by_role("button", name="关闭").click()
    expect(side_menu_entry(page, "修改密码")).to_be_hidden()
    assert_heading_in_first_screen(page)


@pytest.fixture
def page_without_javascript(browser, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=PHONE,
                                  java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = watch_csp(page)
    yield page
    context.close()
    assert violations == []


def test_without_javascript_the_menu_link_still_opens_the_menu(page_without_javascript, live_server, candidate):
    page = page_without_javascript
    log_in_as(page, live_server, candidate)
    page.goto(reverse("registration:my-exams"))
    assert_heading_in_first_screen(page)
    expect(side_menu_entry(page, "修改密码")).to_be_hidden()
    page.get_by_test_id("menu-button").click()
    expect(side_menu_entry(page, "修改密码")).to_be_visible()
    side_menu_entry(page, "修改密码").click()
    page.wait_for_url(re.compile(r"/accounts/password/change/$"))
    assert_heading_in_first_screen(page)
    expect(side_menu_entry(page, "修改密码")).to_be_hidden()


def test_on_a_desktop_the_side_menu_stays_beside_the_page(page, live_server, candidate):
    page.set_viewport_size(DESKTOP)
    log_in_as(page, live_server, candidate)
    page.goto(reverse("registration:exam-list"))
    expect(page.get_by_test_id("menu-button")).to_be_hidden()
    entry = side_menu_entry(page, "个人信息")
    expect(entry).to_be_visible()
    heading = page.locator("main h1").first
    assert entry.bounding_box()["x"] < heading.bounding_box()["x"]  # the menu left of the page
    # The exam list is a table again: the status stands in the exam's row, right of its name.
    row = page.get_by_test_id("exam-table").locator("tbody tr").first
    name, status = row.get_by_role("link").first, row.locator("td[data-label='报考情况']")
    assert abs(status.bounding_box()["y"] - name.bounding_box()["y"]) < 30
    assert status.bounding_box()["x"] > name.bounding_box()["x"]
    entry.click()
    page.wait_for_url(re.compile(r"/accounts/profile/$"))


def test_staff_pages_on_a_phone_never_scroll_sideways(page, live_server, candidate):
    staff = UserFactory(username="staff01", name="王职员", is_staff=True)
    staff.groups.add(Group.objects.get(name=Role.ASSOCIATION_STAFF))
    page.set_viewport_size(PHONE)
    log_in_as(page, live_server, staff)
    for path in (reverse("staff:dashboard"), reverse("staff:roster"), reverse("admin:index"),
                 reverse("admin:registration_enrollment_changelist")):
        response = page.goto(path)
        assert response.ok, path
        assert_no_sideways_scroll(page)
        heading = page.locator("#content h1").first
        assert_in_first_screen(page, heading)


def test_in_english_the_long_site_name_wraps_beside_the_menu_button(page, live_server, candidate):
    page.set_viewport_size(PHONE)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    log_in_as(page, live_server, candidate)
    page.goto(reverse("registration:exam-list"))
    expect(page.locator("main h1")).to_have_text("Choose an exam")
    assert_heading_in_first_screen(page)
    assert_no_sideways_scroll(page)
    brand, menu = page.locator(".navbar-brand"), page.get_by_test_id("menu-button")
    assert_in_first_screen(page, menu, "the menu button")
    assert brand.bounding_box()["x"] + brand.bounding_box()["width"] <= menu.bounding_box()["x"]
    assert abs(brand.bounding_box()["y"] + brand.bounding_box()["height"] / 2
               - menu.bounding_box()["y"] - menu.bounding_box()["height"] / 2) < 20  # side by side
