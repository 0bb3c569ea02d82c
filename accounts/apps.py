from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from . import roles

        # Permissions only exist after migrate; the role groups follow them.
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="accounts-sync-roles")
