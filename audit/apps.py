from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from celery.signals import task_postrun, task_prerun
        from django.db.models.signals import pre_migrate

        from audit import signals  # noqa: F401  (sign-in, sign-out and failed sign-in)
        from audit.history_context import task_finished, task_started
        from audit.migration_guard import refuse_history_drop

        # The field history names the task that made a change (audit/history_context.py).
        task_prerun.connect(task_started, dispatch_uid="audit.history_task_started")
        task_postrun.connect(task_finished, dispatch_uid="audit.history_task_finished")
        # A backward migration must not drop the field history unnoticed.
        pre_migrate.connect(refuse_history_drop, dispatch_uid="audit.refuse_history_drop")
