"""Production only tightens: a real secret key and data keys are required, cookies are secure,
HSTS is on, the captcha cannot be bypassed."""
from cryptography.fernet import Fernet, MultiFernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DEV_SECRET_KEY, TRUSTED_PROXY_COUNT, env

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
# Codes and reset links must really leave the building, and never land in a log or a file: both
# channels are chosen explicitly, and a backend that does not deliver is refused.
EMAIL_CONFIG = env.email_url("EMAIL_URL")
vars().update(EMAIL_CONFIG)
NOT_DELIVERING_MAIL = {"django.core.mail.backends." + name + ".EmailBackend"
                       for name in ("console", "dummy", "filebased", "locmem")} | {"accounts.mail.OutboxBackend"}
if EMAIL_CONFIG.get("EMAIL_BACKEND") in NOT_DELIVERING_MAIL:
    raise ImproperlyConfigured("EMAIL_URL must name a mail server that delivers (smtp://, smtp+tls://, smtp+ssl://) "
                               "in production, not " + EMAIL_CONFIG["EMAIL_BACKEND"].split(".")[-2] + ".")
SMS_BACKEND = env.str("SMS_BACKEND")
if SMS_BACKEND in {"accounts.sms.ConsoleBackend", "accounts.sms.OutboxBackend"}:
    raise ImproperlyConfigured("SMS_BACKEND must be a gateway that delivers (e.g. accounts.sms.YunpianBackend) in "
                               "production: the console and outbox backends keep verification codes on the server.")
if SMS_BACKEND == "accounts.sms.YunpianBackend" and not env.str("SMS_API_KEY", default=""):
    raise ImproperlyConfigured("SMS_BACKEND=accounts.sms.YunpianBackend needs SMS_API_KEY.")

# Payments: a real platform, or the sandbox (no money moves) only when explicitly allowed.
PAYMENT_SANDBOX_ENABLED = env.bool("PAYMENT_SANDBOX_ENABLED", default=False)
ALIPAY_KEYS = ("ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY")
if any(env.str(name, default="") for name in ALIPAY_KEYS) and not all(env.str(name, default="") for name in ALIPAY_KEYS):
    raise ImproperlyConfigured("Alipay needs all of ALIPAY_APP_ID, ALIPAY_PRIVATE_KEY and ALIPAY_PUBLIC_KEY.")
if not env.str("ALIPAY_APP_ID", default="") and not PAYMENT_SANDBOX_ENABLED:
    raise ImproperlyConfigured("No payment platform: configure Alipay (ALIPAY_APP_ID, ALIPAY_PRIVATE_KEY, "
                               "ALIPAY_PUBLIC_KEY), or set PAYMENT_SANDBOX_ENABLED=true to run with test payments "
                               "in which no money moves.")
if env.bool("CAPTCHA_TEST_MODE", default=False):
    raise ImproperlyConfigured("CAPTCHA_TEST_MODE must not be enabled in production.")
CAPTCHA_TEST_MODE = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production runs behind the TLS proxy docs/operations.md describes, which overwrites (or appends to)
# X-Forwarded-For: without trusting it, every visitor would have the proxy's address (one audit
# address for all, one shared login throttle).
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=True)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT if TRUST_X_FORWARDED_FOR else 0
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
