"""`make bench-rush` only: the production shape on plain HTTP over loopback.

Built from base.py, not production.py: production refuses CAPTCHA_TEST_MODE, which the load
generator needs in order to answer the picture code with "PASSED". Everything else follows
production: DEBUG off, WhiteNoise with the compressed manifest storage (the bench runs
collectstatic first), Redis cache and sessions, the Celery worker. What differs, and why:

- ALLOWED_HOSTS is 127.0.0.1/localhost; no HTTPS redirect, no HSTS and no Secure cookies, because
  the bench talks plain HTTP on loopback (TLS ends at the reverse proxy in production anyway).
- The keys (DJANGO_SECRET_KEY, FIELD_ENCRYPTION_KEYS, ID_HASH_KEY, PAYMENT_SANDBOX_KEY) are
  required from the environment: bench/rush generates throwaway ones for every run.
- PASSWORD_HASHERS puts MD5 first. Logins happen before the registration window opens and are not
  part of the rush figures; 5,000 real PBKDF2 logins (1,000,000 iterations, about 0.25 s of CPU
  each on this machine: over 10 minutes on 2 cores) would take longer than the whole run. The bench
  says so in its output.
- TRUST_X_FORWARDED_FOR and ALLAUTH_TRUSTED_PROXY_COUNT = 1: the load generator plays the trusted
  reverse proxy too and puts each candidate's own (simulated, loopback-range) address in
  X-Forwarded-For, so the per-address login lockout and allauth's "30 logins a minute per
  address" rate limit apply per candidate, as they would behind the real proxy.
- Codes go to the SMS outbox and mail to the console (no candidate signs up during the run).
"""
from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
ID_HASH_KEY = env.str("ID_HASH_KEY")
PAYMENT_SANDBOX_KEY = env.str("PAYMENT_SANDBOX_KEY")

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

TRUST_X_FORWARDED_FOR = True
ALLAUTH_TRUSTED_PROXY_COUNT = 1

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",  # bench only: see the module docstring
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
CAPTCHA_TEST_MODE = True
SMS_BACKEND = "accounts.sms.OutboxBackend"
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
