"""Parse and validate input only. Application status is never a form field: moves go
through benefits.transitions with the target from the URL."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from benefits.models import BenefitApplication, BenefitProgram, Coverage, PriorAuthorisation
from carehub.fields import RecordChoiceField
from careplans.forms import DateInput, VersionField
from patients.models import Patient
from programs.forms import case_managers_of


class CoverageForm(forms.ModelForm):
    version = VersionField(required=False)

    class Meta:
        model = Coverage
        fields = [
            "payer",
            "plan_name",
            "member_id",
            "group_id",
            "subscriber_relationship",
            "subscriber_name",
            "order",
            "status",
            "effective_from",
            "effective_to",
        ]
        widgets = {"effective_from": DateInput, "effective_to": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True


class AuthorisationForm(forms.ModelForm):
    version = VersionField(required=False)

    class Meta:
        model = PriorAuthorisation
        field_classes = {"coverage": RecordChoiceField}
        fields = [
            "coverage",
            "service",
            "payer",
            "reference_number",
            "units_approved",
            "units_used",
            "valid_from",
            "valid_to",
            "notes",
        ]
        widgets = {
            "valid_from": DateInput,
            "valid_to": DateInput,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coverage"].queryset = Coverage.objects.filter(patient=patient)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True


class ApplicationCreateForm(forms.Form):
    program = forms.ChoiceField(label=_("Benefit program"), choices=BenefitProgram.choices)
    program_detail = forms.CharField(
        label=_("Agency or program name"), required=False, max_length=200
    )
    case_manager = RecordChoiceField(label=_("Case manager"), queryset=User.objects.none())
    documents = forms.CharField(
        label=_("Documents needed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line. Empty: the usual documents for the program."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers_of(patient)
        self.fields["case_manager"].initial = patient.case_manager_id

    def document_names(self) -> list[str] | None:
        lines = [line.strip() for line in self.cleaned_data["documents"].splitlines()]
        lines = [line for line in lines if line]
        return lines or None


class ApplicationEditForm(forms.ModelForm):
    version = VersionField()

    class Meta:
        model = BenefitApplication
        fields = [
            "program_detail",
            "case_manager",
            "decision_due_on",
            "renewal_due_on",
            "appeal_deadline",
            "notes",
        ]
        widgets = {
            "decision_due_on": DateInput,
            "renewal_due_on": DateInput,
            "appeal_deadline": DateInput,
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers_of(self.instance.patient)
        self.fields["version"].initial = self.instance.version


class ApplicationTransitionForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DateInput, initial=timezone.localdate)
    decision_due_on = forms.DateField(
        label=_("Decision expected by"),
        widget=DateInput,
        required=False,
        help_text=_("Empty: the usual time for a decision."),
    )
    renewal_due_on = forms.DateField(
        label=_("Renewal due"),
        widget=DateInput,
        required=False,
        help_text=_("Empty: a year after the decision."),
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = VersionField()

    def __init__(self, *args, reason_required=False, asks_decision=False, asks_renewal=False, **kw):
        super().__init__(*args, **kw)
        self.fields["reason"].required = reason_required
        if not asks_decision:
            del self.fields["decision_due_on"]
        if not asks_renewal:
            del self.fields["renewal_due_on"]


class DocumentAddForm(forms.Form):
    name = forms.CharField(label=_("Document"), max_length=200)


class DocumentMarkForm(forms.Form):
    received = forms.BooleanField(label=_("Received"), required=False)
    received_on = forms.DateField(
        label=_("Received on"), widget=DateInput, required=False, initial=timezone.localdate
    )
