"""Test run: fast hashing, captcha answer "PASSED", mail kept in memory, tasks in-process."""
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import CACHES, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CAPTCHA_TEST_MODE = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "accounts.sms.OutboxBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
if REDIS_URL:
    CACHES["default"]["KEY_PREFIX"] = "examreg-test"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# Photos and other private files of a test run go to a fresh temporary folder.
PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="examreg-test-private-"))
