from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.models import TokenScope
from api.tokens import lifetime_choices


def _lifetime_field() -> forms.TypedChoiceField:
    days = lifetime_choices()
    return forms.TypedChoiceField(
        label=_("Expires after"),
        choices=[(n, ngettext("%(n)d day", "%(n)d days", n) % {"n": n}) for n in days],
        coerce=int,
        initial=90 if 90 in days else days[0],
        help_text=_("The longest lifetime is set by your admin."),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("What will use it"),
        max_length=100,
        help_text=_("For example: nightly EHR sync. Shown in your list of tokens."),
    )
    scope = forms.ChoiceField(
        label=_("It may"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        help_text=_("Give write access only to what has to change data."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read on each form: the admin may change the longest lifetime at any time.
        self.fields["lifetime"] = _lifetime_field()
