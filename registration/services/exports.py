"""Roster exports run in the worker and leave a private file for the staff member who asked."""
from __future__ import annotations

import tempfile

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.workflow import StaleState

from .. import rosters
from ..exceptions import NotAllowed
from ..models import ExportStatus, RosterExport
from ..states import ROSTER_EXPORT


FULL_NUMBERS_PERMISSION = "accounts.view_full_id_number"


def roster_export_request(*, actor, filters: rosters.RosterFilter, fmt: str, full_id_numbers: bool) -> RosterExport:
    """Queue an export (audited); full ID numbers and mobiles are refused to staff without the permission
    (never quietly masked: they would believe they have full numbers)."""
    from .. import tasks

    if full_id_numbers and not actor.has_perm(FULL_NUMBERS_PERMISSION):
        raise NotAllowed(_("You may not export full ID numbers and mobiles: that needs the permission to view "
                           "full ID numbers. Nothing was exported."), field="full_id_numbers")
    full = full_id_numbers
    with transaction.atomic():
        export = RosterExport.objects.create(requested_by=actor, exam_id=filters.exam_id, filters=filters.as_dict(),
                                             format=fmt, full_id_numbers=full)
        audit_log(actor=actor, action="roster.export_requested", obj=export,
                  after={"filters": filters.as_dict(), "format": fmt, "full_id_numbers": full})
        transaction.on_commit(lambda: tasks.export_roster.delay(export.pk))
    return export


def roster_export_run(*, export_id: int) -> None:
    """The worker writes the file, then marks the export done or failed (registration.states.ROSTER_EXPORT);
    an export no longer queued (a second delivery of the task) is left alone."""
    export = RosterExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).first()
    if export is None:
        return
    f = rosters.RosterFilter(**export.filters)
    suffix = {"csv": ".csv", "xlsx": ".xlsx", "zip": ".zip"}[export.format]
    try:
        with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
            if export.format == "csv":
                with open(handle.name, "w", encoding="utf-8", newline="") as text:
                    count = rosters.write_csv(text, f, full_id_numbers=export.full_id_numbers)
            elif export.format == "xlsx":
                count = rosters.write_xlsx(handle.name, f, full_id_numbers=export.full_id_numbers)
            else:
                count = rosters.write_photo_zip(handle.name, f)
            name = f"roster-{export.exam_id}-{timezone.localtime():%Y%m%d%H%M%S}{suffix}"
            with open(handle.name, "rb") as data:
                export.file.save(name, File(data), save=False)
    except Exception as exc:  # reported on the export's row for the staff member, then re-raised
        try:
            with transaction.atomic():  # a lost race undoes only this block, even inside a caller's transaction
                ROSTER_EXPORT.perform(export, "fail", actor=None, fields={"error": str(exc)[:300]},
                                      audit_extra={"error": str(exc)[:300]})
        except StaleState:  # a second delivery of the task finished it meanwhile
            pass
        raise
    try:
        with transaction.atomic():
            ROSTER_EXPORT.perform(export, "finish", actor=None, fields={"file": export.file.name, "rows": count},
                                  audit_extra={"rows": count})
    except StaleState:  # a second delivery of the task was first: its file stands
        export.file.delete(save=False)
