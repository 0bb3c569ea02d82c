"""The one place enrollments change status: a conditional UPDATE from the expected state, then
an audit entry. Grep for `transition(` to find every status change."""
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log

from .exceptions import TransitionRefused
from .models import TRANSITIONS, Enrollment


def transition(enrollment: Enrollment, new: str, *, actor, reason: str = "", **fields) -> None:
    old = enrollment.status
    if new not in TRANSITIONS[old]:
        raise TransitionRefused(_("This registration cannot change from “%(old)s” to “%(new)s”.")
                                % {"old": enrollment.get_status_display(), "new": new})
    changed = Enrollment.objects.filter(pk=enrollment.pk, status=old).update(
        status=new, updated_at=timezone.now(), **fields)
    if not changed:
        raise TransitionRefused(_("Your registration was changed meanwhile. Reload the page."))
    enrollment.status = new
    for name, value in fields.items():
        setattr(enrollment, name, value)
    audit_log(actor=actor, action=f"enrollment.{new}", obj=enrollment,
              before={"status": old}, after={"status": new, **({"reason": reason} if reason else {})})
