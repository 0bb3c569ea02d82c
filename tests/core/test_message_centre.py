"""The message centre (SPEC G9): notify() writes the inbox with the action and sends e-mail or SMS
after the commit per the recipient's preferences; the inbox pages, the unread badge in the header
(one user's count never shown to another), mark read, preferences, admin."""
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext_noop

from accounts.models import SmsMessage
from core import notifications
from core.models import AuditEntry, Notification, NotificationPreference
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

SUBJECT = gettext_noop("Your photo was not accepted")  # a msgid with a Chinese translation
BODY = gettext_noop("Your registration for %(exam)s did not pass the qualification review.\n"
                    "Reason: %(reason)s\n"
                    "You can correct your registration information and confirm it again while "
                    "registration is open.")
PARAMS = {"exam": "质量管理体系审核员", "reason": "学历不符合报考条件"}
INBOX = reverse("inbox:notification-list")


def send(*users, **changes):
    """One notice to `users`, as an action's service would send it, its on-commit work run."""
    kwargs = {"recipients": users, "kind": "test.notice", "subject": SUBJECT, "body": BODY, "params": PARAMS,
              "url": reverse("photos:upload"), **changes}
    return notifications.notify(**kwargs)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def badge(page: str) -> str | None:
    found = re.search(r'data-testid="unread-count">(\d+)<', page)
    return found.group(1) if found else None


# --------------------------------------------------------------------------- the service


def test_notify_writes_one_row_per_recipient_in_both_languages():
    first, second = UserFactory(), UserFactory()
    rows = send(first, second, first, None)
    assert sorted(r.recipient_id for r in rows) == sorted([first.pk, second.pk])
    row = Notification.objects.get(recipient=first)
    assert row.subject == "您的照片未通过审核" and row.read_at is None and row.url == "/photos/upload/"
    assert "质量管理体系审核员" in row.body and "原因：学历不符合报考条件" in row.body
    assert row.texts["en"]["subject"] == "Your photo was not accepted"
    assert "Reason: 学历不符合报考条件" in row.texts["en"]["body"]


def test_the_reader_sees_the_language_they_chose(client):
    user = UserFactory()
    send(user)
    client.force_login(user)
    assert "您的照片未通过审核" in client.get(INBOX).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(INBOX).content.decode()
    assert "Your photo was not accepted" in page and "您的照片未通过审核" not in page


def test_a_notice_links_to_its_object_and_only_to_this_site():
    user = UserFactory()
    other = UserFactory()
    row = notifications.notify(recipients=[user], kind="test.notice", subject=SUBJECT, body=SUBJECT, obj=other)[0]
    assert (row.content_type.model, row.object_id) == ("user", other.pk)
    assert list(notifications.about(other, "test.notice")) == [row]
    for url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            send(user, url=url)


def test_email_goes_after_the_commit_by_default_and_sms_not(on_commit):
    user = UserFactory()
    with on_commit(), transaction.atomic():
        send(user)
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email] and message.subject == "您的照片未通过审核"
    assert "原因：学历不符合报考条件" in message.body and "消息中心" in message.body
    assert not SmsMessage.objects.filter(mobile=user.mobile).exists()


def test_a_rolled_back_action_leaves_no_notice_and_sends_nothing(on_commit):
    user = UserFactory()
    with on_commit(), pytest.raises(RuntimeError), transaction.atomic():
        send(user)
        raise RuntimeError("the action failed")
    assert not Notification.objects.exists() and mail.outbox == []


def test_preferences_choose_sms_instead_of_email_and_the_language(on_commit, sms_outbox):
    user = UserFactory()
    notifications.notification_preferences_set(user=user, email=False, sms=True, language="en")
    with on_commit():
        send(user)
    assert mail.outbox == []
    [text] = sms_outbox.texts(user.mobile)
    assert text.startswith("[Exam registration] Your photo was not accepted: Your registration for")
    assert Notification.objects.filter(recipient=user).count() == 1  # the inbox gets it whatever is chosen


def test_no_channel_beyond_the_inbox_when_the_caller_allows_none_or_the_account_is_inactive(on_commit):
    user = UserFactory()
    inactive = UserFactory(is_active=False)
    with on_commit():
        send(user, channels=())
        send(inactive)
    assert mail.outbox == []
    assert Notification.objects.count() == 2


def test_email_links_to_the_site_when_its_address_is_known(on_commit, settings):
    settings.SITE_URL = "https://exam.example.org/"
    user = UserFactory()
    with on_commit():
        send(user)
    assert "https://exam.example.org/photos/upload/" in mail.outbox[0].body


# --------------------------------------------------------------------------- the inbox pages


def test_inbox_lists_newest_first_marks_unread_and_pages():
    user = UserFactory()
    for n in range(23):
        notifications.notify(recipients=[user], kind="test.notice", subject=f"第{n}条", body="正文")
    client = login(user)
    page = client.get(INBOX).content.decode()
    subjects = re.findall(r"第(\d+)条", page)
    assert subjects[:3] == ["22", "21", "20"] and len(subjects) == 20
    assert page.count('data-testid="unread-mark"') == 20
    second = client.get(INBOX + "?page=2").content.decode()
    assert re.findall(r"第(\d+)条", second) == ["2", "1", "0"]
    assert "第 2 页，共 2 页" in second


def test_opening_a_notice_marks_it_read_and_shows_body_and_link():
    user = UserFactory()
    row = send(user)[0]
    client = login(user)
    assert badge(client.get(INBOX).content.decode()) == "1"
    page = client.get(reverse("inbox:notification-detail", args=[row.pk])).content.decode()
    assert "原因：学历不符合报考条件" in page
    assert 'href="/photos/upload/" data-testid="notification-link"' in page
    row.refresh_from_db()
    assert row.read_at is not None
    first_read = row.read_at
    client.get(reverse("inbox:notification-detail", args=[row.pk]))
    row.refresh_from_db()
    assert row.read_at == first_read  # the first reading counts
    page = client.get(INBOX).content.decode()
    assert badge(page) is None and 'data-testid="unread-mark"' not in page


def test_nobody_opens_another_persons_notice():
    owner, other = UserFactory(), UserFactory()
    row = send(owner)[0]
    assert login(other).get(reverse("inbox:notification-detail", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None
    assert "您的照片未通过审核" not in login(other).get(INBOX).content.decode()


def test_mark_all_read_needs_a_post_and_touches_only_ones_own():
    user, other = UserFactory(), UserFactory()
    send(user)
    send(user)
    send(other)
    client = login(user)
    assert client.get(reverse("inbox:notification-mark-all-read")).status_code == 405
    response = client.post(reverse("inbox:notification-mark-all-read"))
    assert response.status_code == 302 and response["Location"] == INBOX
    assert "所有消息已标为已读" in client.get(INBOX).content.decode()
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=other).read_at is None


def test_inbox_pages_need_a_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_staff_and_candidates_both_have_an_inbox():
    staff = UserFactory(is_staff=True)
    send(staff)
    page = login(staff).get(INBOX).content.decode()
    assert "您的照片未通过审核" in page and "side-menu" not in page
    candidate = UserFactory()
    page = login(candidate).get(INBOX).content.decode()
    assert "side-menu" in page and 'data-testid="inbox-empty"' in page


# --------------------------------------------------------------------------- the badge in the header


def test_each_user_sees_their_own_unread_count_on_every_page():
    """The layout is cached per process: the badge sits outside those fragments and never leaks."""
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    send(first)
    send(first)
    send(second)
    clients = {user: login(user) for user in (first, second, third)}
    for path in (reverse("registration:exam-list"), reverse("accounts:profile"), INBOX):
        for _round in range(2):  # the second round renders from the warm fragment cache
            pages = {user: client.get(path).content.decode() for user, client in clients.items()}
            assert badge(pages[first]) == "2", path
            assert badge(pages[second]) == "1", path
            assert badge(pages[third]) is None, path
            assert f'href="{INBOX}" data-testid="inbox-link"' in pages[third]


def test_the_badge_costs_one_query_then_none_until_a_notice_arrives_and_none_for_visitors(client, on_commit):
    user = UserFactory()
    send(user)
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert badge(client.get("/").content.decode()) == "1"
    asked = [q["sql"] for q in captured.captured_queries if "core_notification" in q["sql"]]
    assert len(asked) == 1 and "COUNT" in asked[0].upper()
    with CaptureQueriesContext(connection) as captured:  # the count is kept in the cache
        assert badge(client.get("/").content.decode()) == "1"
    assert not [q for q in captured.captured_queries if "core_notification" in q["sql"]]
    with on_commit():
        send(user)  # a new notice: the kept count is forgotten
    assert badge(client.get("/").content.decode()) == "2"
    anonymous = Client()
    with CaptureQueriesContext(connection) as captured:
        anonymous.get("/")
    assert not [q for q in captured.captured_queries if "core_notification" in q["sql"]]


def test_the_candidate_menu_links_to_the_message_centre():
    page = login(UserFactory()).get(reverse("accounts:profile")).content.decode()
    assert f'href="{INBOX}">消息中心</a>' in page


# --------------------------------------------------------------------------- preferences


def test_preferences_default_to_email_only_and_are_saved_and_audited():
    user = UserFactory()
    client = login(user)
    url = reverse("inbox:notification-preferences")
    page = client.get(url).content.decode()
    assert re.search(r'name="email"[^>]*checked', page) and not re.search(r'name="sms"[^>]*checked', page)
    response = client.post(url, {"sms": "on", "language": "en"})
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=user)
    assert (preference.email, preference.sms, preference.language) == (False, True, "en")
    entry = AuditEntry.objects.get(action="notification.preferences_set")
    assert entry.actor == user and entry.after == {"email": False, "sms": True, "language": "en"}


def test_sms_without_a_mobile_is_refused_next_to_the_field():
    user = UserFactory(mobile="")
    client = login(user)
    response = client.post(reverse("inbox:notification-preferences"), {"email": "on", "sms": "on",
                                                                        "language": "zh-hans"})
    assert response.status_code == 200
    page = response.content.decode()
    error = re.search(r'id="error_1_id_sms"[^>]*>\s*<strong>([^<]+)</strong>', page)
    assert error and error.group(1) == "您的账号没有手机号码，请先添加。"
    assert not NotificationPreference.objects.filter(user=user).exists()


# --------------------------------------------------------------------------- admin


def test_admin_lists_notices_read_only_for_superusers_only():
    user = UserFactory()
    send(user)
    boss = UserFactory(is_staff=True, is_superuser=True)
    page = login(boss).get(reverse("admin:core_notification_changelist"))
    assert page.status_code == 200 and "您的照片未通过审核" in page.content.decode()
    row = Notification.objects.get()
    change = login(boss).get(reverse("admin:core_notification_change", args=[row.pk])).content.decode()
    assert 'name="_save"' not in change
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="_notification"))
    assert login(staff).get(reverse("admin:core_notification_changelist")).status_code == 403
