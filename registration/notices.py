"""What the message centre (SPEC G9) tells a candidate about their registration."""
from django.urls import reverse
from django.utils.translation import gettext_noop

from core.notifications import notify

from .models import Enrollment


def enrollment_review_rejected(*, enrollment: Enrollment, note: str) -> None:
    """Inside the rejection's transaction: the candidate learns the reason and what to do now."""
    notify(recipients=[enrollment.candidate], kind="enrollment.review_rejected", obj=enrollment,
           url=reverse("registration:enrollment-progress", args=[enrollment.pk]),
           subject=gettext_noop("Qualification review not passed: %(exam)s"),
           body=gettext_noop("Your registration for %(exam)s did not pass the qualification review.\n"
                             "Reason: %(reason)s\n"
                             "You can correct your registration information and confirm it again while "
                             "registration is open."),
           params={"exam": enrollment.exam.name, "reason": note})
