"""Development and demo: `make run`."""
from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# With no mail server named, the demo keeps every e-mail in its outbox, which /accounts/dev/outbox/
# shows beside the texts (DEBUG only): a visitor can follow a verification or reset link.
if DEBUG and not env.str("EMAIL_URL", default=""):
    EMAIL_BACKEND = "accounts.mail.OutboxBackend"

# The embedded scheduler (core/scheduler.py) runs a job every few seconds: keep each run's
# "Task … succeeded" line out of the terminal; failures are still logged.
LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}  # noqa: F405
