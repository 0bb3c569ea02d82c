"""Production only tightens: a real secret key and data keys are required, cookies are secure,
HSTS is on, the captcha cannot be bypassed."""
from cryptography.fernet import Fernet, MultiFernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DEV_SECRET_KEY, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a real secret of at least 40 characters.")
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
ID_HASH_KEY = env.str("ID_HASH_KEY")
if not FIELD_ENCRYPTION_KEYS or len(ID_HASH_KEY) < 32:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS and ID_HASH_KEY (32+ characters) are required.")
try:
    MultiFernet([Fernet(key.encode()) for key in FIELD_ENCRYPTION_KEYS])
except ValueError as exc:
    raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key: {exc}") from exc
# Codes and reset links must really leave the building: both channels are chosen explicitly.
EMAIL_CONFIG = env.email_url("EMAIL_URL")
vars().update(EMAIL_CONFIG)
SMS_BACKEND = env.str("SMS_BACKEND")
if SMS_BACKEND == "accounts.sms.OutboxBackend":
    raise ImproperlyConfigured("SMS_BACKEND must be a real gateway (or accounts.sms.ConsoleBackend) in production.")
if env.bool("CAPTCHA_TEST_MODE", default=False):
    raise ImproperlyConfigured("CAPTCHA_TEST_MODE must not be enabled in production.")
CAPTCHA_TEST_MODE = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
