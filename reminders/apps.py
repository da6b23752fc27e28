from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Reminders and notifications")

    def ready(self) -> None:
        from carehub import health
        from reminders.status import reminder_status

        # Failed and waiting reminders, and the dispatcher's last run, on the admin index.
        health.register_status(order=30)(reminder_status)
