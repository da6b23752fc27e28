"""Parse and validate input only. Status is never a form field: moves go through
programs.transitions with the target from the URL."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from carehub.fields import RecordChoiceField
from careplans.forms import DateInput, VersionField
from patients.models import Patient
from patients.selectors import team_staff
from programs.models import Program, Session


def case_managers_of(patient: Patient):
    return team_staff([patient.care_team_id]).filter(groups__name=Role.CASE_MANAGER.group_name)


class EnrolmentForm(forms.Form):
    program = RecordChoiceField(
        label=_("Program"), queryset=Program.objects.filter(is_active=True).order_by("name")
    )
    case_manager = RecordChoiceField(
        label=_("Responsible case manager"), queryset=User.objects.none()
    )
    referred_on = forms.DateField(
        label=_("Referred on"), widget=DateInput, initial=timezone.localdate
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers_of(patient)
        self.fields["case_manager"].initial = patient.case_manager_id


class EnrolmentTransitionForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DateInput, initial=timezone.localdate)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = VersionField()

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["held_on", "status", "topic", "note"]
        widgets = {"held_on": DateInput, "note": forms.Textarea(attrs={"rows": 2})}
