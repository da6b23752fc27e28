from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, apps=None, **kwargs) -> None:
    """Also runs after `flush` (transactional tests), which sends no app registry."""
    from django.apps import apps as global_apps

    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps or global_apps, None)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and care teams")

    def ready(self) -> None:
        # After every migrate, so roles also hold permissions of apps migrated later.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="accounts.sync_roles")
        from accounts import signals  # noqa: F401  (records each signed-in session)
