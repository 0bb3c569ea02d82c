"""Private files (review attachments, scans): outside every public URL, served only by views that
check access first."""
from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError("Private files have no public URL: serve them through a view that checks access.")


def private_storage() -> PrivateFileSystemStorage:
    """Callable storage (Django calls it when the field is used), so tests can move PRIVATE_MEDIA_ROOT."""
    return PrivateFileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT)
