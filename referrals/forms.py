"""Parse and validate input only; the services decide."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from carehub.fields import RecordChoiceField
from carehub.widgets import FastSelect, use_fast_selects
from careplans.models import Goal
from patients.models import Language
from patients.selectors import team_staff, teams_of
from referrals.models import (
    ConsentMethod,
    ContactChannel,
    ContactDirection,
    Need,
    OutcomeCode,
    Priority,
    Referral,
    ReferralStatus,
    Service,
    ServiceCategory,
)
from referrals.services import CONTACT_RESPONSES
from referrals.transitions import DECLINE_CODES

S = ReferralStatus


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class VersionMixin(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ServiceSearchForm(forms.Form):
    """The directory picker: works as a plain GET form and, with htmx, as you type."""

    q = forms.CharField(label=_("Service or organization"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any"))] + ServiceCategory.choices
    )
    language = forms.ChoiceField(
        label=_("Language spoken"), required=False, choices=[("", _("Any"))] + Language.choices
    )
    accepting = forms.BooleanField(label=_("Accepting referrals only"), required=False)

    def search_arguments(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": data.get("q", ""),
            "category": data.get("category", ""),
            "language": data.get("language", ""),
            "accepting_only": data.get("accepting", False),
        }


class ReferralForm(forms.Form):
    """A new referral, or a draft's details. The service comes from the picker's radios."""

    service = RecordChoiceField(
        label=_("Service"),
        queryset=Service.objects.available().select_related("organization"),
        required=False,
        widget=forms.HiddenInput,
    )
    recipient_name = forms.CharField(
        label=_("Recipient (if not in the directory)"), required=False, max_length=200
    )
    recipient_phone = forms.CharField(label=_("Recipient phone"), required=False, max_length=40)
    recipient_email = forms.EmailField(label=_("Recipient email"), required=False)
    recipient_address = forms.CharField(
        label=_("Recipient address"), required=False, max_length=255
    )
    reason = forms.CharField(
        label=_("Reason for referral"), widget=forms.Textarea(attrs={"rows": 4})
    )
    needs = forms.MultipleChoiceField(
        label=_("Needs it addresses"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    goal = RecordChoiceField(
        label=_("Care plan goal it works toward"), queryset=Goal.objects.none(), required=False
    )

    def __init__(self, *args, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        if patient is not None:
            self.fields["goal"].queryset = (
                Goal.objects.filter(care_plan__patient=patient).open().order_by("description")
            )

    def selected_service(self) -> Service | None:
        """The service chosen so far (posted, or the draft's), to show it checked."""
        value = self["service"].value()
        if isinstance(value, Service) or not value:
            return value or None
        try:
            return self.fields["service"].queryset.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            return None

    def clean(self):
        data = super().clean()
        if not data.get("service") and not (data.get("recipient_name") or "").strip():
            raise forms.ValidationError(
                _("Choose a service from the directory, or name a recipient outside it.")
            )
        return data


class ReferralEditForm(VersionMixin, ReferralForm):
    pass


class RerouteForm(VersionMixin, ReferralForm):
    reroute_reason = forms.CharField(
        label=_("Why the referral goes elsewhere"), widget=forms.Textarea(attrs={"rows": 2})
    )


class SendForm(VersionMixin):
    consent_override_reason = forms.CharField(
        label=_("Reason to send without recorded consent"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when consent cannot be recorded first. This is audited."),
    )


class MoveForm(VersionMixin):
    """One status move; which detail fields it has depends on the target."""

    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    appointment_at = forms.DateTimeField(label=_("Appointment"), widget=DateTimeInput)
    outcome_code = forms.ChoiceField(label=_("Outcome"), choices=OutcomeCode.choices)
    outcome_note = forms.CharField(
        label=_("Outcome details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, target: str, **kwargs):
        super().__init__(*args, **kwargs)
        if target != S.SCHEDULED:
            del self.fields["appointment_at"]
        if target == S.DECLINED:
            self.fields["outcome_code"] = forms.ChoiceField(
                label=_("Why the service declined"),
                required=False,
                choices=[
                    (code, label)
                    for code, label in [("", _("Other (see reason)")), *OutcomeCode.choices]
                    if code in DECLINE_CODES
                ],
            )
            del self.fields["outcome_note"]
        elif target != S.OUTCOME_RECORDED:
            del self.fields["outcome_code"]
            del self.fields["outcome_note"]
        if target in (S.DECLINED, S.CANCELLED, S.NO_SHOW):
            self.fields["reason"].required = True


class ContactLogForm(VersionMixin):
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=ContactDirection.choices)
    contact_name = forms.CharField(label=_("Spoke with"), required=False, max_length=200)
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=DateTimeInput, initial=lambda: timezone.localtime()
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    response = forms.ChoiceField(
        label=_("The service's answer"),
        required=False,
        choices=[("", _("No answer in this contact"))]
        + [(s.value, s.label) for s in CONTACT_RESPONSES],
    )
    reason = forms.CharField(
        label=_("Reason (if declined)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    appointment_at = forms.DateTimeField(
        label=_("Appointment (if scheduled)"), required=False, widget=DateTimeInput
    )


class SharingConsentForm(forms.Form):
    granted_by = forms.CharField(
        label=_("Given by"), max_length=200, help_text=_("The patient, or who consented for them.")
    )
    method = forms.ChoiceField(label=_("How"), choices=ConsentMethod.choices)
    granted_on = forms.DateField(label=_("Given on"), widget=DateInput, initial=timezone.localdate)
    expires_on = forms.DateField(label=_("Expires on"), widget=DateInput, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=255)


class LinkAnswerForm(VersionMixin):
    """What the receiving service answers through its link."""

    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    appointment_at = forms.DateTimeField(
        label=_("Appointment"), required=False, widget=DateTimeInput
    )
    outcome_code = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", "—"), *OutcomeCode.choices]
    )
    outcome_note = forms.CharField(
        label=_("Outcome details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReferralFilter(django_filters.FilterSet):
    """The referrals list: mine or my teams', overdue, status, priority, category, service."""

    scope = django_filters.ChoiceFilter(
        label=_("Whose"),
        choices=[("mine", _("Mine")), ("teams", _("My teams'"))],
        method="filter_scope",
        empty_label=None,
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ReferralStatus.choices)
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Priority.choices)
    category = django_filters.ChoiceFilter(
        label=_("Category"), field_name="service__category", choices=ServiceCategory.choices
    )
    service = django_filters.ModelChoiceFilter(
        label=_("Service"), queryset=Service.objects.select_related("organization")
    )
    team = django_filters.ModelChoiceFilter(
        label=_("Team"),
        field_name="patient__care_team",
        queryset=None,
        widget=FastSelect(label_field="name"),
    )
    referred_by = django_filters.ModelChoiceFilter(
        label=_("Referred by"), queryset=User.objects.none()
    )

    class Meta:
        model = Referral
        fields = ["scope", "overdue", "status", "priority", "category", "service", "team"]

    def __init__(self, *args, user: User, now, **kwargs):
        super().__init__(*args, **kwargs)
        use_fast_selects(self)
        self.user = user
        self.now = now
        teams = teams_of(user)
        self.filters["team"].queryset = teams
        self.filters["referred_by"].queryset = team_staff(teams.values("pk"))

    def filter_scope(self, queryset, name, value):
        return queryset.filter(referred_by=self.user) if value == "mine" else queryset

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(self.now) if value else queryset
