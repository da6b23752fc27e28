from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Reminders and notifications")

    def ready(self) -> None:
        from accounts.backends import register_user_fact
        from carehub import health
        from reminders.context_processors import UNREAD_FACT
        from reminders.models import Notification
        from reminders.status import beat_part, outbox_part, reminder_status, worker_part

        # Failed and waiting reminders, and the dispatcher's last run, on the admin index.
        health.register_status(order=30)(reminder_status)
        # /healthz: is a worker consuming, is beat sending, is the outbox draining.
        health.register_part("worker")(worker_part)
        health.register_part("beat")(beat_part)
        health.register_part("outbox")(outbox_part)
        # The bell's count, read with the signed-in user (the partial index on unread rows).
        register_user_fact(
            UNREAD_FACT,
            f"(SELECT COUNT(*) FROM {Notification._meta.db_table} n"  # noqa: S608  # nosec B608 (a table name)
            " WHERE n.user_id = u.id AND n.read_at IS NULL)",
        )
