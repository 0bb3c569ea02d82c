from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data: above every app, it calls each app's own `demo.seed` in dependency order."""

    name = "demo"
    verbose_name = _("Demo data")
