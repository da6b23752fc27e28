from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Programs and enrolment")

    def ready(self) -> None:
        from patients import sections
        from programs.sections import patient_enrolments_section

        sections.register(order=40)(patient_enrolments_section)
