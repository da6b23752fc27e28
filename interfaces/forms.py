from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from patients.selectors import patients_visible_to


class MatchForm(forms.Form):
    mrn = forms.CharField(
        label=_("CareHub MRN of the patient"),
        max_length=32,
        help_text=_("Find the patient in the registry, then give their MRN here."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_mrn(self):
        mrn = self.cleaned_data["mrn"].strip()
        patient = patients_visible_to(self.user).filter(mrn=mrn).first()
        if patient is None:
            raise forms.ValidationError(_("None of your patients has this MRN."))
        self.patient = patient
        return mrn


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the notice dismissed?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
