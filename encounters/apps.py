from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EncountersConfig(AppConfig):
    name = "encounters"
    verbose_name = _("Encounters and transitions of care")

    def ready(self) -> None:
        from encounters.sections import patient_encounters_section
        from patients import sections

        sections.register(order=15)(patient_encounters_section)
