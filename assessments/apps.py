from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Needs assessments")

    def ready(self) -> None:
        from assessments.sections import patient_needs_section
        from patients import sections

        sections.register(order=30)(patient_needs_section)
