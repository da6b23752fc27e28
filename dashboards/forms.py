"""Parse and validate input only: the caseload review's choices and the reassign form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import CareTeam, User
from dashboards.selectors.caseload import PERIODS
from patients.models import Patient


class CaseloadForm(forms.Form):
    """The review's period and team (GET), so every view of it is a link."""

    period = forms.TypedChoiceField(
        label=_("Period"),
        choices=[(days, _("Last %(days)d days") % {"days": days}) for days in PERIODS],
        coerce=int,
        required=False,
        initial=90,
    )
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, teams: list[CareTeam], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("All my teams"))] + [(t.pk, t.name) for t in teams]

    @staticmethod
    def parse(data) -> dict:
        """The period and team asked for, before the teams are known (the review reads
        them with its first query); the review ignores a team that is not the user's."""
        period, team = data.get("period", ""), data.get("team", "")
        return {
            "period_days": int(period) if period.isdigit() and int(period) in PERIODS else 90,
            "team_id": int(team) if team.isdigit() else None,
        }


class ReassignForm(forms.Form):
    """Reassign one or many patients. The patients offered and the coordinators offered
    come from the view (scoped); the versions the user saw ride along per patient."""

    patients = forms.ModelMultipleChoiceField(
        label=_("Patients"), queryset=Patient.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    to = forms.ModelChoiceField(label=_("New primary coordinator"), queryset=User.objects.none())
    move_open_tasks = forms.BooleanField(
        label=_("Move their open tasks to the new coordinator too"), required=False, initial=True
    )
    reason = forms.CharField(
        label=_("Reason (shown in each patient's history)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, patients, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patients"].queryset = patients
        self.fields["to"].queryset = staff

    def versions(self) -> dict[int, int]:
        """{patient id: the version shown}, from the hidden ``version-<id>`` inputs."""
        versions = {}
        for patient in self.cleaned_data["patients"]:
            try:
                versions[patient.pk] = int(self.data.get(f"version-{patient.pk}", ""))
            except ValueError:
                versions[patient.pk] = 0  # refused as stale by the service
        return versions
