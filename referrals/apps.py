from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from patients import sections
        from referrals.pages import patient_section

        sections.register(order=30)(patient_section)

        from referrals.selectors import referral_digest_items
        from reminders.digest import register_digest_source

        register_digest_source("referrals.deadlines", referral_digest_items)
