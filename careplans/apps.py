from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareplansConfig(AppConfig):
    name = "careplans"
    verbose_name = _("Care plans")

    def ready(self) -> None:
        from careplans.sections import patient_care_section
        from patients import sections

        sections.register(order=20)(patient_care_section)

        from careplans.reminder_rules import patient_reminders_sync
        from careplans.selectors import task_digest_items
        from careplans.services import open_work_follows_team
        from patients.hooks import register_patient_sync
        from reminders.digest import register_digest_source

        # A patient's team, status, staff or consents changed: their open work stays with
        # their team, then their reminders follow.
        register_patient_sync(open_work_follows_team)
        register_patient_sync(patient_reminders_sync)

        register_digest_source("careplans.tasks", task_digest_items)

        from careplans.models import CarePlan, Goal, Task
        from careplans.selectors import describe_care_plans, describe_goals, describe_tasks
        from reminders.describe import register_describer

        register_describer(Task, describe_tasks)
        register_describer(Goal, describe_goals)
        register_describer(CarePlan, describe_care_plans)
