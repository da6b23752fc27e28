from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = _("Coverage and benefits")

    def ready(self) -> None:
        from benefits.sections import patient_benefits_section
        from patients import sections

        sections.register(order=50)(patient_benefits_section)
