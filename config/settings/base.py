"""Settings shared by every environment. Everything that differs between machines comes from
the environment (see .env.example); the defaults here are safe for development only."""
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[2]
env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "crispy_forms",
    "crispy_bootstrap5",
    "captcha",
    "core",
    "accounts",
    "exams",
    "photos",
    "registration",
    "payments",
    "payments.sandbox",
    "certification",
    "training",
    "demo",  # seed_demo: above every app, calls each app's demo seed in order
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "core.security.RefuseNulMiddleware",  # a NUL in path, query or form: 400 before it reaches the database
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.ServiceUnavailableMiddleware",  # Redis or the broker unreachable: 503, not 500
    "core.sessions.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
                "core.context_processors.inbox",
                "accounts.context_processors.menu_roles",
            ],
        },
    },
]

# --- Database: PostgreSQL when DATABASE_URL is set, otherwise an embedded SQLite file whose
# write transactions start IMMEDIATE so two writers serialise instead of failing mid-way.
DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters bound by the server, and statements prepared once a connection has run them
    # DB_PREPARE_THRESHOLD times: planning costs PostgreSQL several times what running the wizard's
    # small queries does (0.9 ms against 0.16 ms for the enrollment page's query), thousands of times
    # a second at the rush. Behind a pooler in transaction mode older than pgbouncer 1.21, turn
    # DB_SERVER_SIDE_BINDING off (which also turns preparing off).
    if env.bool("DB_SERVER_SIDE_BINDING", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=env.int("DB_PREPARE_THRESHOLD", default=5))
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(env.str("SQLITE_PATH", default=str(BASE_DIR / "var" / "db.sqlite3"))),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
ATOMIC_REQUESTS = False  # services own their transactions
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker: Redis when REDIS_URL is set, otherwise in-process and tasks run eagerly.
REDIS_URL = env.str("REDIS_URL", default="")
# Each process's own memory, for page fragments that are the same for every visitor and cheap to
# rebuild ({% cache … using="local" %}: the layout, the step tracker, subject groups, seats tables).
LOCAL_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local",
               "TIMEOUT": 600, "OPTIONS": {"MAX_ENTRIES": 5000}}
# A Redis that is stopped or out of reach must fail in well under a second, not hold a web thread:
# sessions then use the database, the seat figures a query, and what cannot do without Redis
# answers 503 (core.middleware).
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="examreg"),
            "TIMEOUT": 300,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        },
        "local": LOCAL_CACHE,
    }
    # Sessions in the database, read from Redis (core.sessions): a page costs one Redis read, a
    # renewal (at most once a minute) a database UPDATE and a Redis write. Redis stopped, restarted
    # or emptied logs nobody out: the database answers meanwhile.
    SESSION_ENGINE = "core.sessions"
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "local": LOCAL_CACHE}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that cannot be reached fails a publish within seconds (core.broker logs it).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 1}
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep our JSON log lines in the worker too
CELERY_BEAT_SCHEDULE = {
    "exams-apply-due-releases": {"task": "exams.apply_due_releases", "schedule": 15.0},
    "exams-refresh-open-availability": {"task": "exams.refresh_open_availability", "schedule": 5.0},
    "payments-expire-unpaid-orders": {"task": "payments.expire_orders", "schedule": 30.0},
    "payments-warn-expiring-orders": {"task": "payments.warn_expiring_orders", "schedule": 60.0},
    "payments-reconcile-pending": {"task": "payments.reconcile_pending", "schedule": 60.0},
    "payments-retry-failed-refunds": {"task": "payments.retry_refunds", "schedule": 300.0},
    "photos-requeue-stalled-checks": {"task": "photos.requeue_stalled", "schedule": 60.0},
    "accounts-purge-stale-security-records": {
        "task": "accounts.purge_stale_security_records",
        "schedule": crontab(minute=17),
    },
    "core-clear-expired-sessions": {"task": "core.clear_expired_sessions", "schedule": crontab(minute=43)},
    # Hourly, at most a batch per run: a mass expiry's reminders are spread over several hours.
    "certification-remind-expiring": {"task": "certification.remind_expiring", "schedule": crontab(minute=23)},
}

# --- Authentication
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.LoginBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "account_login"

# Idle timeout: the session lives 30 minutes after the last request. core.sessions renews it
# at most once a minute (not on every request), so the timeout holds to within that minute.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_INTERVAL = 60
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
# Our own lockout (accounts.services) replaces allauth's failed-login limit. Successful logins per
# address are allowed generously: a whole company or campus may share one address at the rush.
ACCOUNT_RATE_LIMITS = {"login_failed": None, "login": "600/m/ip"}
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "reset_password": "accounts.forms.PasswordResetForm",
}

# Login lockout: LOGIN_FAILURE_LIMIT failures within LOGIN_FAILURE_WINDOW lock the account (or a
# login name without one) for LOGIN_LOCKOUT. An address is never locked (a campus NAT, or our own
# proxy, is many people): from LOGIN_ADDRESS_FAILURE_LIMIT failures within the window it must
# solve a picture code again before a password is tried. Wrong security answers count the same way.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW = timedelta(minutes=env.int("LOGIN_FAILURE_WINDOW_MINUTES", default=15))
LOGIN_LOCKOUT = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)

# --- Verification codes (SMS and e-mail)
SMS_BACKEND = env.str("SMS_BACKEND", default="accounts.sms.OutboxBackend")
# accounts.sms.YunpianBackend: the account's API key, the signature approved for its templates.
SMS_API_KEY = env.str("SMS_API_KEY", default="")
SMS_SIGNATURE = env.str("SMS_SIGNATURE", default="")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="https://sms.yunpian.com/v2/sms/single_send.json")
SMS_HTTP_TIMEOUT = 10
VERIFICATION_CODE_TTL = timedelta(minutes=2)
VERIFICATION_RESEND_INTERVAL = timedelta(minutes=2)
VERIFICATION_MAX_ATTEMPTS = 5

# --- Personal data: ID numbers are encrypted at rest (Fernet, several keys for rotation, the
# first encrypts) and found through a keyed hash. Development derives both from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
ID_HASH_KEY = env.str("ID_HASH_KEY", default="")

# --- Captcha (django-simple-captcha)
CAPTCHA_TEST_MODE = env.bool("CAPTCHA_TEST_MODE", default=False)
CAPTCHA_TIMEOUT = 5
CAPTCHA_LENGTH = 4
CAPTCHA_IMAGE_SIZE = (110, 38)
CAPTCHA_FONT_SIZE = 28

# --- Internationalisation: Simplified Chinese by default, English complete.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it even before collectstatic
# Private files (ID photos, ID scans) never live under a public URL; views serve them.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@exam.example.org")

SITE_NAME = _("Certification Personnel Exam Registration")
# The site's address as candidates open it ("https://exam.example.org"): links in notice e-mails.
# Unset: the e-mails point at the message centre without a link.
SITE_URL = env.str("SITE_URL", default="")
# Message centre (core.notifications): the task that delivers a notice by e-mail or SMS, named
# here because core does not import accounts.
MESSAGE_DELIVERY_TASK = "accounts.tasks.deliver_message"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)
# How many reverse proxies append to X-Forwarded-For in front of the application (ours is one):
# the client address is the TRUSTED_PROXY_COUNT-th entry from the right (core.http.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
# allauth's rate limits ask our adapter for the address (accounts.adapter); kept equal anyway.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT if TRUST_X_FORWARDED_FOR else 0

# --- ID photos (SPEC B1): requirement profiles per exam body. Sizes are portrait width × height;
# a source must be larger than min_bytes and wider/taller than min_width/min_height.
PHOTO_PROFILES = {
    "ccaa": {"min_bytes": 30 * 1024, "min_width": 215, "min_height": 300, "backgrounds": ["red", "white", "blue"],
             "output_size": [215, 300], "target_bytes": 10 * 1024},
    "cpta": {"min_bytes": 10 * 1024, "min_width": 294, "min_height": 412, "backgrounds": ["white", "blue", "red"],
             "output_size": [295, 413], "target_bytes": 10 * 1024, "preferred_background": "white"},
}
PHOTO_PROFILE_BY_EXAM_BODY = {"ccaa": "ccaa", "cpta": "cpta", "accounting": "cpta"}
PHOTO_DEFAULT_PROFILE = env.str("PHOTO_DEFAULT_PROFILE", default="ccaa")
PHOTO_UPLOAD_MAX_BYTES = 10 * 1024 * 1024

# --- Certification personnel (SPEC G5, G10): annual confirmation opens this many days before a
# certificate expires and stays open this long after; reminders go out these days before.
CERTIFICATION_RENEWAL_DAYS = env.int("CERTIFICATION_RENEWAL_DAYS", default=90)
CERTIFICATION_GRACE_DAYS = env.int("CERTIFICATION_GRACE_DAYS", default=180)
CERTIFICATION_REMINDER_DAYS = (90, 60, 30)
CERTIFICATION_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024

# --- Training (SPEC H5, H6): course material limits; a filed course is re-reviewed after this long.
TRAINING_DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
TRAINING_VIDEO_MAX_BYTES = 500 * 1024 * 1024
TRAINING_REREVIEW_YEARS = 3

# --- Payments (SPEC E1–E5)
ORDER_UNPAID_MINUTES = env.int("ORDER_UNPAID_MINUTES", default=30)
# Minutes before an unpaid order expires when its candidate is told (once) to pay or lose the seats.
ORDER_EXPIRY_NOTICE_MINUTES = env.int("ORDER_EXPIRY_NOTICE_MINUTES", default=10)
PAYMENT_HTTP_TIMEOUT = 10
# The built-in sandbox platform: its own pages under /sandbox-pay/, its own signing key. No money
# moves through it: while it is on, every page says so and its orders are marked as test orders.
# Production turns it off unless PAYMENT_SANDBOX_ENABLED=true is set explicitly.
PAYMENT_SANDBOX_ENABLED = env.bool("PAYMENT_SANDBOX_ENABLED", default=True)
PAYMENT_SANDBOX_KEY = env.str("PAYMENT_SANDBOX_KEY", default="")
PAYMENT_SANDBOX_FAIL_REFUNDS = False  # tests switch it on to see failed refunds retried
ALIPAY = {
    "app_id": env.str("ALIPAY_APP_ID", default=""),
    "private_key": env.str("ALIPAY_PRIVATE_KEY", default=""),
    "alipay_public_key": env.str("ALIPAY_PUBLIC_KEY", default=""),
    "gateway": env.str("ALIPAY_GATEWAY", default="https://openapi.alipay.com/gateway.do"),
}

# --- Content-Security-Policy (django-csp) and Permissions-Policy: no inline script or style
# anywhere (scripts and styles are files under static/), nothing from another origin except the
# payment platform a form may redirect to (网上支付 posts, then goes to the gateway).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap draws its icons as data: SVG
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "{0.scheme}://{0.netloc}".format(urlsplit(ALIPAY["gateway"]))],
    },
}
PERMISSIONS_POLICY = {feature: [] for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen", "geolocation",
    "gyroscope", "magnetometer", "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
    "screen-wake-lock", "usb", "xr-spatial-tracking")}

# --- PDF documents: the first CJK TrueType font found is embedded (Debian: fonts-wqy-microhei).
PDF_FONT_PATHS = env.list("PDF_FONT_PATHS", default=[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
])
ROSTER_LARGE_EXPORT_ROWS = 2000
