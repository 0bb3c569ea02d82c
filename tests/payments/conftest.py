"""Payment fixtures: a confirmed enrollment of the demo exam (GB + QMS in 济南, 160.00 CNY), its
order, and the sandbox platform's side (open a transaction, pay it, build its signed notification)
without a worker or HTTP: the notification is posted by the test itself."""
import pytest
from django.utils import timezone

from exams.models import SeatQuota
from payments import services
from payments.sandbox import api, signing
from payments.sandbox.models import SandboxTransaction
from registration import services as registration_services
from tests.accounts.factories import EducationFactory, UserFactory
from tests.photos.factories import approved_photo
from tests.registration import conftest as registration_conftest
from tests.registration.conftest import INFO
from tests.registration.test_enrollment_services import info, ready

# The enrollment fixtures: the demo exam, its sittings, 济南, a candidate with an approved photo.
exam = registration_conftest.exam
sittings = registration_conftest.sittings
area = registration_conftest.area
candidate = registration_conftest.candidate
logged_in = registration_conftest.logged_in

# Nobody listens on port 9: the sandbox's own delivery (queued when a transaction is paid) fails
# at once, so only the notifications a test posts itself reach the merchant.
NOTIFY_URL = "http://127.0.0.1:9/pay/notify/sandbox/"
RETURN_URL = "http://127.0.0.1:9/pay/orders/return/"
ENTERPRISE = {"invoice_wanted": True, "invoice_type": "enterprise", "invoice_title": "济南某某认证咨询有限公司",
              "invoice_tax_number": "91370102MA3C4X8Y2K"}

__all__ = ["INFO", "info", "ready"]


def make_candidate(name: str = "韩梅梅", *, photo: bool = True):
    user = UserFactory(name=name)
    EducationFactory(user=user)
    if photo:
        approved_photo(user)
    return user


def confirmed_enrollment(candidate, exam, sittings, area, *, second="QMS", **info_changes):
    """The wizard walked to the end (D3–D6) and confirmed: ready for 网上支付."""
    enrollment = ready(candidate, exam, sittings, area, second=second)
    if info_changes:
        registration_services.enrollment_save_info(enrollment=enrollment, actor=candidate, data=info(**info_changes))
    registration_services.enrollment_confirm(enrollment=enrollment, actor=candidate)
    assert enrollment.status == "confirmed"
    return enrollment


def sandbox_transaction(order) -> SandboxTransaction:
    """The platform's checkout opened with the merchant's signed request (found again if already open)."""
    return api.open_transaction(signing.signed({
        "merchant": "examreg", "out_trade_no": order.number, "total_amount": f"{order.amount:.2f}",
        "subject": "exam fee", "notify_url": NOTIFY_URL, "return_url": RETURN_URL,
        "timestamp": timezone.now().strftime("%Y-%m-%d %H:%M:%S")}))


def sandbox_pay(order) -> SandboxTransaction:
    """The payer confirms on the sandbox checkout: the platform has the money (nothing is notified yet)."""
    txn = sandbox_transaction(order)
    api.pay(txn)
    return txn


def resigned(data: dict, **changes) -> dict:
    """The same notification with some fields changed and signed again with the platform's key."""
    fields = {k: v for k, v in {**data, **changes}.items() if k not in ("sign", "sign_type")}
    return signing.signed(fields)


def signed_notification(order, **changes) -> dict:
    """Pay the order on the sandbox and return the platform's signed notification for it."""
    data = api.notification_for(sandbox_pay(order))
    return resigned(data, **changes) if changes else data


def counts(exam, area) -> list[tuple[int, int]]:
    """(held, sold) of the area's quotas, by sitting."""
    return list(SeatQuota.objects.filter(exam=exam, area=area).order_by("sitting__starts_at")
                .values_list("held", "sold"))


@pytest.fixture
def enrollment(candidate, exam, sittings, area):
    return confirmed_enrollment(candidate, exam, sittings, area)


@pytest.fixture
def order(enrollment, candidate):
    return services.order_create(enrollment=enrollment, actor=candidate, provider="sandbox")


@pytest.fixture
def paid_order(order, on_commit):
    """The order paid through a signed sandbox notification (refunds of it run in-process)."""
    with on_commit():
        services.payment_notify(provider="sandbox", data=signed_notification(order))
    order.refresh_from_db()
    assert order.status == "paid"
    return order
