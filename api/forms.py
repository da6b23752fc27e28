from django import forms
from django.utils.translation import gettext_lazy as _

from api.tokens import LIFETIMES


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("What will use it"),
        max_length=100,
        help_text=_("For example: nightly EHR sync. Shown in your list of tokens."),
    )
    lifetime = forms.ChoiceField(
        label=_("Expires after"),
        choices=[
            ("30", _("30 days")),
            ("90", _("90 days")),
            ("365", _("a year")),
            ("never", _("never (revoke it yourself)")),
        ],
        initial="90",
    )

    def lifetime_days(self) -> int | None:
        return LIFETIMES[self.cleaned_data["lifetime"]]
