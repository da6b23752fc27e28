from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        # The built-in sections of My day; other apps (reminders) register theirs the same way.
        from dashboards import my_day  # noqa: F401
