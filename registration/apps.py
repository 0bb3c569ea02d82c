from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Enrollment")

    def ready(self):
        from photos import policy

        from . import selectors, states  # noqa: F401  (states: the enrollment's workflow declaration)

        policy.register_lock_check(selectors.photo_lock_reason)
