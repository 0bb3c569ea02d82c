"""Fragments rendered once per process ("local" cache: the layout, the side menu, the step tracker,
the subject groups) never carry one visitor's page into another's: candidates in different states,
an institution user, an expert and a staff member, in two languages, rendered one after the other
in the same process with the cache warm, each see only their own name, menu, language, steps and
CSRF token."""
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import Institution, UserKind
from accounts.roles import Role
from tests.accounts.factories import EducationFactory, UserFactory
from tests.payments.conftest import confirmed_enrollment
from tests.photos.factories import approved_photo
from tests.registration import conftest as registration_conftest
from tests.registration.test_enrollment_views import url, walk_to_area

pytestmark = pytest.mark.django_db

# The demo exam (open now), its sittings and 济南.
exam = registration_conftest.exam
sittings = registration_conftest.sittings
area = registration_conftest.area

# Interface texts by language: the account section, the exam registration section, the log-out button.
TEXTS = {"zh-hans": {"account": "注册维护", "registration": 'aria-label="考试报名菜单"', "logout": "退出登录"},
         "en": {"account": "Account maintenance", "registration": 'aria-label="Exam registration menu"',
                "logout": "Log out"}}
EXAM_LIST, ADMIN = reverse("registration:exam-list"), reverse("admin:index")
EVALUATE, REVIEW = reverse("certification:evaluation-list"), reverse("certification:review-list")


class Visitor:
    def __init__(self, user, *, language="zh-hans", kind="candidate"):
        self.user, self.language, self.kind = user, language, kind
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)
        self.client.cookies["django_language"] = language
        self.pages: dict[str, str] = {}
        self.client.get(reverse("accounts:profile"))  # the csrftoken cookie, as a browser has it

    def get(self, name: str, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (self.user.name, path, response.status_code)
        self.pages[name] = response.content.decode()
        return self.pages[name]


def at_the_area_step(user, exam, sittings):
    """The wizard walked through notice, information and subjects (a draft its candidate can edit)."""
    client = Client()
    client.force_login(user)
    return walk_to_area(client, exam, sittings)


def tokens(page: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)


def accepted(visitor: Visitor, token: str) -> bool:
    """Whether the CSRF middleware accepts this token from this visitor (set_language answers 302)."""
    response = visitor.client.post(reverse("set_language"), {"language": visitor.language, "next": "/",
                                                              "csrfmiddlewaretoken": token})
    assert response.status_code in (302, 403), response.status_code
    return response.status_code == 302


@pytest.fixture
def visitors(exam, sittings, area):
    editing = UserFactory(name="甲考生")
    paying = UserFactory(name="乙考生")
    for user in (editing, paying):
        EducationFactory(user=user)
        approved_photo(user)
    institution = Institution.objects.create(name="测试机构", credit_code="91350100M000100Y43",
                                             kind="certification_body", province="35")
    expert = UserFactory(name="丙专家")
    expert.groups.add(Group.objects.get(name=Role.EXPERT))
    staff = UserFactory(name="丁职员", is_staff=True)
    staff.groups.add(Group.objects.get(name=Role.ASSOCIATION_STAFF))
    return {
        "editing": Visitor(editing),
        "paying": Visitor(paying),
        "institution": Visitor(UserFactory(name="戊机构", kind=UserKind.INSTITUTION, institution=institution),
                               kind="institution"),
        "expert": Visitor(expert, language="en"),
        "staff": Visitor(staff, kind="staff"),
    }


def test_no_visitor_is_shown_another_visitors_fragments(visitors, exam, sittings, area):
    from payments import services as payment_services

    editing, paying = visitors["editing"], visitors["paying"]
    # 甲 stops at the area step (a draft she can edit); 乙 confirmed and ordered (seats held: locked).
    mine = at_the_area_step(editing.user, exam, sittings)
    theirs = confirmed_enrollment(paying.user, exam, sittings, area)
    payment_services.order_create(enrollment=theirs, actor=paying.user, provider="sandbox")

    # Twice round, interleaved, so every visitor is served from a cache the others filled.
    for _round in range(2):
        for visitor in visitors.values():
            visitor.get("profile", reverse("accounts:profile"))
        for visitor, enrollment in ((paying, theirs), (editing, mine)):
            for step in ("subjects", "area"):
                visitor.get(step, url(step, enrollment))
            visitor.get("progress", reverse("registration:enrollment-progress", args=[enrollment.pk]))
        for visitor in visitors.values():
            visitor.get("exam list", EXAM_LIST)

    seen_tokens: dict[str, str] = {}
    for key, visitor in visitors.items():
        others = [other for other in visitors.values() if other is not visitor]
        texts, foreign = TEXTS[visitor.language], TEXTS["en" if visitor.language == "zh-hans" else "zh-hans"]
        for name, page in visitor.pages.items():
            where = f"{key} / {name}"
            assert f'data-testid="current-user">{visitor.user.name}<' in page, where
            assert not [other.user.name for other in others if other.user.name in page], where
            assert f'<html lang="{visitor.language}">' in page, where
            assert texts["account"] in page and texts["logout"] in page, where
            assert foreign["account"] not in page and foreign["logout"] not in page, where
            registers = visitor.kind != "institution"
            assert (texts["registration"] in page) is registers, where
            assert (f'href="{EXAM_LIST}"' in page) is registers, where
            assert (f'href="{ADMIN}"' in page) is (visitor.kind == "staff"), where
            # An expert's menu (a role, in the fragment's key) and an institution's review menu.
            assert (f'href="{EVALUATE}"' in page) is (key == "expert"), where
            assert (f'href="{REVIEW}"' in page) is (visitor.kind == "institution"), where
            assert tokens(page), where
            for token in set(tokens(page)):  # one per page, in each of its forms
                assert token not in seen_tokens, f"{where}: the token of {seen_tokens.get(token)}"
                seen_tokens[token] = where
        # The page's CSRF token is this visitor's: accepted from them, refused from anyone else.
        token = tokens(visitor.pages["profile"])[0]
        assert accepted(visitor, token), key
        assert not any(accepted(other, token) for other in others), key


def test_each_candidate_sees_the_step_tracker_of_their_own_state(visitors, exam, sittings, area):
    from payments import services as payment_services

    editing, paying = visitors["editing"], visitors["paying"]
    mine = at_the_area_step(editing.user, exam, sittings)
    theirs = confirmed_enrollment(paying.user, exam, sittings, area)
    payment_services.order_create(enrollment=theirs, actor=paying.user, provider="sandbox")
    for _round in range(2):
        for visitor, enrollment in ((editing, mine), (paying, theirs)):
            for step in ("subjects", "area"):
                visitor.get(step, url(step, enrollment))

    def links(page: str) -> list[str]:
        return re.findall(r'class="stretched-link[^"]*" href="([^"]+)"', page)

    for step in ("subjects", "area"):
        # 甲 may still edit every step; 乙's seats are held: only the last step is still a link.
        assert links(editing.pages[step]) == ["../info/", "../subjects/", "../area/", "../confirm/"], step
        assert links(paying.pages[step]) == ["../confirm/"], step
        for visitor in (editing, paying):
            current = re.search(r'<li class="current"[^>]*aria-current="step"', visitor.pages[step])
            assert current, (visitor.user.name, step)
        assert editing.pages[step].count('aria-current="step"') == 1


def test_every_roles_menu_entry_opens_for_that_role(db):
    """Each role reaches its pages from its own menu: every link of the side menu answers 200 for the
    person it is shown to."""
    institution = Institution.objects.create(name="菜单机构", credit_code="91350100M000100Y43",
                                             kind="certification_body", province="35")
    officer = UserFactory(name="机构审核员", kind=UserKind.INSTITUTION, institution=institution)
    officer.groups.add(Group.objects.get(name=Role.INSTITUTION_USER))
    expert = UserFactory(name="专家甲")
    expert.groups.add(Group.objects.get(name=Role.EXPERT))
    candidate = UserFactory(name="考生甲")
    EducationFactory(user=candidate)
    for user in (candidate, expert, officer):
        client = Client()
        client.force_login(user)
        page = client.get(reverse("accounts:profile")).content.decode()
        menu = page[page.index('class="list-group side-menu'):page.rindex("</nav>")]
        links = set(re.findall(r'href="(/[^"]*)"', menu))
        assert len(links) >= 8, (user.name, links)
        for link in links:
            assert client.get(link, follow=True).status_code == 200, (user.name, link)
