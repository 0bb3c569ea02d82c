from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    """A stand-in payment platform with its own pages, key, notifications and query API."""

    name = "payments.sandbox"
    label = "paysandbox"
    verbose_name = _("Sandbox payment platform")
