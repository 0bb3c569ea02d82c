"""The applicant's own writes (个人中心): the personal basic-information library (基本信息库), supporting
files of an application, and withdrawing it. Every change is audited in its transaction; status
changes go through the workflow core (certification.states.APPLICATION)."""
from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log

from .exceptions import ApplicationRefused
from .models import (
    Application,
    AuditExperience,
    Evidence,
    ItemKind,
    TrainingRecord,
    WorkExperience,
)
from .services import _ensure_editable, _lock
from .states import APPLICATION

# The library kinds this app keeps (education records are accounts.EducationRecord, with their own pages).
LIBRARY_MODELS = {
    ItemKind.WORK: WorkExperience,
    ItemKind.AUDIT: AuditExperience,
    ItemKind.TRAINING: TrainingRecord,
}
LIBRARY_EDITABLE = {
    ItemKind.WORK: ("employer", "position", "started_on", "ended_on", "description"),
    ItemKind.AUDIT: ("organisation", "field", "role", "audited_on", "days"),
    ItemKind.TRAINING: ("course", "provider", "hours", "completed_on"),
}


def _values(entry, names) -> dict:
    return {name: str(getattr(entry, name)) for name in names}


# --------------------------------------------------------------------------- 基本信息库


def library_entry_save(*, person, kind: str, entry=None, data: dict):
    """Add an entry to the person's library, or change one of their own (applications keep their
    snapshots: what was submitted does not change)."""
    model = LIBRARY_MODELS[kind]
    names = LIBRARY_EDITABLE[kind]
    with transaction.atomic():
        if entry is None:
            entry = model(person=person)
            before = {}
        else:
            if entry.person_id != person.pk:
                raise PermissionDenied
            before = _values(entry, names)
        for name in names:
            if name in data:
                setattr(entry, name, data[name])
        entry.save()
        audit_log(actor=person, action=f"library.{kind}.saved", obj=entry, before=before, after=_values(entry, names))
    return entry


def library_entry_delete(*, person, kind: str, entry) -> None:
    """Remove an entry of the person's library; applications that used it keep their copy."""
    if entry.person_id != person.pk:
        raise PermissionDenied
    with transaction.atomic():
        audit_log(actor=person, action=f"library.{kind}.deleted", obj=entry,
                  before=_values(entry, LIBRARY_EDITABLE[kind]))
        entry.delete()


# --------------------------------------------------------------------------- supporting files


def sniff_file_type(head: bytes) -> str | None:
    """What the file is by its first bytes, never by its name: JPEG, PNG or PDF."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _image_is_whole(upload) -> bool:
    from PIL import Image, UnidentifiedImageError

    upload.seek(0)
    try:
        with Image.open(io.BytesIO(upload.read())) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False
    finally:
        upload.seek(0)
    return True


def _clean_name(name: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return base.strip()[-100:] or "file"


def evidence_check(upload) -> str:
    """The content type of an acceptable supporting file; refuses anything else with a message for the field."""
    limit = settings.CERTIFICATION_EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ApplicationRefused(_("The file is too large: at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
                                 field="file")
    if upload.size == 0:
        raise ApplicationRefused(_("The file is empty."), field="file")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_file_type(head)
    if content_type is None:
        raise ApplicationRefused(_("Only JPEG or PNG images and PDF documents can be attached; this file is none "
                                   "of them, whatever its name says."), field="file")
    if content_type.startswith("image/") and not _image_is_whole(upload):
        raise ApplicationRefused(_("The image cannot be read: it is damaged or incomplete."), field="file")
    return content_type


def evidence_add(*, app: Application, actor, upload, item=None) -> Evidence:
    """上传证明材料: a JPEG, PNG or PDF checked by content, kept privately, while the application is editable."""
    content_type = evidence_check(upload)
    if item is not None and item.application_id != app.pk:
        raise ApplicationRefused(_("Choose one of this application's items."), field="item")
    name = _clean_name(upload.name)
    with transaction.atomic():
        locked = _lock(app)
        _ensure_editable(locked, actor)
        evidence = Evidence(application=locked, item=item, name=name, content_type=content_type, uploaded_by=actor)
        evidence.file.save(name, upload, save=False)
        evidence.save()
        audit_log(actor=actor, action="application.evidence_added", obj=locked,
                  after={"evidence": evidence.pk, "name": name, "type": content_type, "bytes": upload.size})
    return evidence


def evidence_remove(*, evidence: Evidence, actor) -> None:
    """Remove a supporting file while the application can still be edited (the file goes after commit)."""
    with transaction.atomic():
        locked = _lock(evidence.application)
        _ensure_editable(locked, actor)
        audit_log(actor=actor, action="application.evidence_removed", obj=locked,
                  before={"evidence": evidence.pk, "name": evidence.name})
        file_name, storage = evidence.file.name, evidence.file.storage
        evidence.delete()
        transaction.on_commit(lambda: storage.delete(file_name))


def application_withdraw(*, app: Application, actor) -> Application:
    """撤回: the applicant gives up a draft or a returned application."""
    with transaction.atomic():
        locked = _lock(app)
        APPLICATION.perform(locked, "withdraw", actor=actor)
    return locked


def items_add_from_library(*, app: Application, actor, kind: str, entries: list) -> list:
    """从基本信息库添加: copy the ticked library entries into the application, all or none."""
    from .services import item_add

    with transaction.atomic():
        return [item_add(app=app, actor=actor, kind=kind, entry=entry) for entry in entries]


def item_add_typed(*, app: Application, actor, kind: str, data: dict, keep_in_library: bool = False):
    """添加: an experience typed into the application; kept in the library as well when asked."""
    from .services import item_add, library_data

    with transaction.atomic():
        if keep_in_library and kind in LIBRARY_MODELS:
            entry = library_entry_save(person=actor, kind=kind, data=data)
            return item_add(app=app, actor=actor, kind=kind, entry=entry)
        return item_add(app=app, actor=actor, kind=kind, data=library_data(kind, _Typed(data)))


class _Typed:
    """Typed values read like a library entry (so both give the item the same keys and formats)."""

    def __init__(self, data: dict):
        self._data = data

    def __getattr__(self, name):
        if name == "field_id":
            field = self._data.get("field")
            return field.pk if field is not None else None
        return self._data.get(name)
