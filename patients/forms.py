from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from carehub.fields import TimeZoneChoiceField
from carehub.widgets import FastSelect, use_fast_selects
from patients.models import Patient, PatientIdentifier, PatientStatus, RelatedPerson, RiskLevel
from patients.selectors import STAFF_NAME_FIELDS, team_staff, teams_of


class DateInput(forms.DateInput):
    input_type = "date"


class PatientForm(forms.ModelForm):
    """Registration and edit. ``version`` carries the version the user is editing."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Patient
        fields = [
            "mrn", "given_name", "family_name", "date_of_birth", "sex",
            "phone", "email", "address_line", "city", "region", "postal_code", "time_zone",
            "preferred_language", "preferred_contact_method",
            "consent_phone", "consent_sms", "consent_email", "consent_mail",
            "insurance_payer", "insurance_member_id", "risk_level",
            "care_team", "primary_coordinator", "case_manager",
        ]  # fmt: skip
        widgets = {"date_of_birth": DateInput}
        field_classes = {"time_zone": TimeZoneChoiceField}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        teams = teams_of(user).filter(is_active=True)
        if self.instance.pk:
            teams = teams | teams_of(user).filter(pk=self.instance.care_team_id)
        teams = teams.distinct()
        self.fields["care_team"].queryset = teams
        staff = team_staff(self._staff_teams(teams))
        self.fields["primary_coordinator"].queryset = staff
        self.fields["case_manager"].queryset = staff
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        if teams.count() == 1 and not self.instance.pk:
            self.fields["care_team"].initial = teams.first()

    def _staff_teams(self, teams) -> list[int] | QuerySet:
        """The team whose staff the coordinator and case manager selects offer: the team
        chosen in the form (a move to another team offers the new team's staff once it is
        chosen), else the patient's, else every team of the user (a new patient before a
        team is chosen). Only a team's members may coordinate or manage its patients
        (Patient.clean), so no other choice could be saved."""
        chosen = str(self.data.get(self.add_prefix("care_team"), "")) if self.is_bound else ""
        if chosen.isdigit() and teams.filter(pk=chosen).exists():
            return [int(chosen)]
        if self.instance.pk and self.instance.care_team_id:
            return [self.instance.care_team_id]
        return teams.values("pk")


class PatientCreateForm(PatientForm):
    confirm_not_duplicate = forms.BooleanField(
        label=_("I have checked the possible matches: this is a different person."),
        required=False,
    )


class PatientStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=PatientStatus.choices)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class RelatedPersonForm(forms.ModelForm):
    class Meta:
        model = RelatedPerson
        fields = [
            "name",
            "relationship",
            "is_emergency_contact",
            "is_caregiver",
            "phone",
            "email",
            "notes",
        ]


def _identifier_field(name: str) -> forms.Field:
    return PatientIdentifier._meta.get_field(name).formfield()


class PatientIdentifierForm(forms.Form):
    """An identifier to add; patients.services.identifier_add checks it and saves it."""

    system = _identifier_field("system")
    value = _identifier_field("value")
    type_code = _identifier_field("type_code")
    assigner = _identifier_field("assigner")


class PatientOrdering(django_filters.OrderingFilter):
    """A name sort orders by given name within a family name, and every sort ends with
    the id, so that equal values keep one order and pages neither repeat nor skip rows."""

    TIE_BREAKS = {"family_name": ("given_name",), "-family_name": ("-given_name",)}

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for param in value:
            field = self.get_ordering_value(param)
            ordering += [field, *self.TIE_BREAKS.get(field, ())]
        return qs.order_by(*ordering, "pk")


class PatientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or MRN"), method="filter_search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PatientStatus.choices)
    risk_level = django_filters.ChoiceFilter(label=_("Risk"), choices=RiskLevel.choices)
    primary_coordinator = django_filters.ModelChoiceFilter(
        label=_("Coordinator"), queryset=User.objects.none()
    )
    care_team = django_filters.ModelChoiceFilter(
        label=_("Team"), queryset=None, widget=FastSelect(label_field="name")
    )
    # Drill-downs from the caseload review (dashboards): plans and overdue work.
    care_plan = django_filters.ChoiceFilter(
        label=_("Care plan"),
        choices=[
            ("none", _("No active care plan")),
            ("review_overdue", _("Care plan past review")),
        ],
        method="filter_care_plan",
    )
    overdue = django_filters.BooleanFilter(
        label=_("With overdue tasks"), method="filter_overdue", widget=forms.CheckboxInput
    )
    sort = PatientOrdering(
        label=_("Sort by"),
        fields=(
            ("family_name", "name"),
            ("mrn", "mrn"),
            ("date_of_birth", "dob"),
            ("risk_level", "risk"),
            ("updated_at", "updated"),
        ),
        field_labels={
            "family_name": _("Name"),
            "mrn": _("MRN"),
            "date_of_birth": _("Date of birth"),
            "risk_level": _("Risk"),
            "updated_at": _("Last updated"),
        },
    )

    class Meta:
        model = Patient
        fields = [
            "q", "status", "risk_level", "primary_coordinator", "care_team", "care_plan", "overdue",
        ]  # fmt: skip

    # Up to this many teams, the coordinator list offers the staff of all of them; beyond
    # (admins, who see every team), a team chosen first narrows it, so that the list does
    # not grow with the registry (500 teams would be 2,500 options on every page).
    STAFF_CHOICE_TEAMS = 10

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        use_fast_selects(self)
        teams = teams_of(user)
        # The selects need ids and names only (an admin's lists run to hundreds).
        self.filters["care_team"].queryset = teams.only("pk", "name")
        coordinator = self.filters["primary_coordinator"]
        coordinator.queryset = team_staff(teams.values("pk")).only(*STAFF_NAME_FIELDS)
        chosen_team = str((self.data or {}).get("care_team", ""))
        if chosen_team.isdigit():
            coordinator.queryset = team_staff(teams.filter(pk=chosen_team).values("pk")).only(
                *STAFF_NAME_FIELDS
            )
        elif teams.count() > self.STAFF_CHOICE_TEAMS:
            # The coordinator asked for (a drill-down link) stays valid and selected.
            chosen = str((self.data or {}).get("primary_coordinator", ""))
            coordinator.queryset = coordinator.queryset.filter(
                pk__in=[int(chosen)] if chosen.isdigit() else []
            )
            coordinator.extra["help_text"] = _("Choose a team to list its coordinators.")

    @property
    def searching(self) -> bool:
        """A name or MRN was given (and the filters are valid)."""
        return self.is_valid() and bool(self.form.cleaned_data.get("q"))

    @property
    def broad_search_ordering(self) -> tuple[str, ...] | None:
        """A search with no sort chosen that matches more patients than the list's pages
        reach (patients.paging.COUNT_LIMIT) is shown newest registration first: a name
        order would show only the first thousand names anyway, and costs a read of every
        match; the newest first costs a page (CappedPaginator)."""
        if not self.is_valid():
            return None
        data = self.form.cleaned_data
        return ("-pk",) if data.get("q") and not data.get("sort") else None

    def filter_search(self, queryset, name, value):
        found = queryset.search(value)
        if any(len(word) >= 3 for word in value.split()):
            # Name order without the name index: PostgreSQL then reads the matches through
            # the trigram indexes and sorts them, work bounded by the number of matches.
            # Walking the name index instead costs as many rows as sort before the first
            # match (every patient from A to "Hernandez"). An explicit sort still applies.
            found = found.order_by(Upper("family_name"), Upper("given_name"), "pk")
        return found

    def filter_care_plan(self, queryset, name, value):
        # careplans builds on patients: imported here so patients stays importable alone.
        from careplans.models import CarePlan

        if value == "none":
            return queryset.exclude(pk__in=CarePlan.objects.active().values("patient_id"))
        if value == "review_overdue":
            return queryset.filter(pk__in=CarePlan.objects.review_overdue().values("patient_id"))
        return queryset

    def filter_overdue(self, queryset, name, value):
        from careplans.models import Task

        if not value:
            return queryset
        return queryset.filter(pk__in=Task.objects.overdue().values("patient_id"))
