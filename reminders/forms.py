from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reminders.models import Delivery, ReminderKind


class PreferencesForm(forms.Form):
    """One delivery choice per staff kind, and the digest time."""

    digest_time = forms.TimeField(
        label=_("Daily digest time"),
        help_text=_("Your local time, e.g. 07:30."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in ReminderKind.staff_kinds():
            self.fields[f"delivery_{kind.value}"] = forms.ChoiceField(
                label=kind.label, choices=Delivery.choices, widget=forms.RadioSelect
            )

    def deliveries(self) -> dict[str, str]:
        return {
            kind.value: self.cleaned_data[f"delivery_{kind.value}"]
            for kind in ReminderKind.staff_kinds()
        }

    def delivery_fields(self):
        return [self[f"delivery_{kind.value}"] for kind in ReminderKind.staff_kinds()]
