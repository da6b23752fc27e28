from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = _("Patient registry")

    def ready(self) -> None:
        from patients import sections
        from patients.identifier_sections import patient_identifiers_section

        sections.register(order=5)(patient_identifiers_section)
