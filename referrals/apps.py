from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from patients import sections
        from referrals.pages import patient_section

        sections.register(order=30)(patient_section)

        from referrals.models import Referral
        from referrals.selectors import describe_referrals
        from reminders.describe import register_describer

        register_describer(Referral, describe_referrals)

        from patients.hooks import register_patient_sync
        from referrals.reminder_rules import patient_reminders_sync
        from referrals.selectors import referral_digest_items
        from reminders.digest import register_digest_source

        # A patient's status, staff or consents changed: their reminders follow.
        register_patient_sync(patient_reminders_sync)

        register_digest_source("referrals.deadlines", referral_digest_items)
