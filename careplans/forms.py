"""Parse and validate input only. Status fields are never form fields: moves go through
careplans.transitions with a target chosen by the URL and a reason from these forms."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carehub.fields import RecordChoiceField
from carehub.widgets import use_fast_selects
from careplans.models import (
    OPEN_CARE_PLAN,
    CarePlan,
    Goal,
    GoalProgress,
    NeedCategory,
    Task,
)
from careplans.services import SNOOZE_DAYS
from careplans.transitions import OpenWork
from patients.models import Patient
from patients.selectors import team_staff, teams_of


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class VersionField(forms.IntegerField):
    """The version the user loaded; services refuse the save when it is no longer current."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=1, **kwargs)


def _lines(text: str) -> list[str]:
    return [line.strip()[:255] for line in text.splitlines() if line.strip()]


NEED_FIELDS = {
    NeedCategory.MEDICAL: "medical_needs",
    NeedCategory.BEHAVIOURAL: "behavioural_needs",
    NeedCategory.SOCIAL: "social_needs",
}


class CarePlanForm(forms.ModelForm):
    """Start or edit a plan. Needs are typed one per line in a box per category."""

    medical_needs = forms.CharField(
        label=_("Medical needs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One need per line."),
    )
    behavioural_needs = forms.CharField(
        label=_("Behavioural needs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One need per line."),
    )
    social_needs = forms.CharField(
        label=_("Social needs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One need per line: housing, food, transport, money, isolation ..."),
    )
    version = VersionField(required=False)

    class Meta:
        model = CarePlan
        fields = [
            "title",
            "description",
            "period_start",
            "period_end",
            "next_review_date",
            "internal_notes",
        ]
        widgets = {
            "period_start": DateInput,
            "period_end": DateInput,
            "next_review_date": DateInput,
            "description": forms.Textarea(attrs={"rows": 4}),
            "internal_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True
            by_category: dict[str, list[str]] = {}
            for need in self.instance.needs.all():
                by_category.setdefault(need.category, []).append(need.description)
            for category, name in NEED_FIELDS.items():
                self.fields[name].initial = "\n".join(by_category.get(category, []))

    def needs(self) -> dict[str, list[str]]:
        return {
            category: _lines(self.cleaned_data.get(name, ""))
            for category, name in NEED_FIELDS.items()
        }


class ReasonForm(forms.Form):
    """A move of a plan, goal or task: the reason (required for some moves) and version."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = VersionField()

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_required:
            self.fields["reason"].required = True


class CarePlanTransitionForm(ReasonForm):
    open_work = forms.ChoiceField(
        label=_("Open goals and tasks of this plan"),
        choices=OpenWork.choices,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, asks_open_work: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if asks_open_work:
            self.fields["open_work"].required = True
        else:
            del self.fields["open_work"]


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("Review note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    next_review_date = forms.DateField(label=_("Next review"), widget=DateInput)
    version = VersionField()


class GoalForm(forms.ModelForm):
    version = VersionField(required=False)

    class Meta:
        model = Goal
        fields = [
            "description",
            "category",
            "priority",
            "target_measure",
            "target_value",
            "target_unit",
            "target_date",
            "owner",
        ]
        widgets = {"target_date": DateInput}

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team_staff([patient.care_team_id])
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True


class GoalProgressForm(forms.ModelForm):
    class Meta:
        model = GoalProgress
        fields = ["recorded_on", "achievement_status", "measured_value", "note"]
        widgets = {"recorded_on": DateInput, "note": forms.Textarea(attrs={"rows": 3})}


class TaskForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = [
            "description",
            "care_plan",
            "goal",
            "assignee",
            "due_at",
            "priority",
            "repeat_every",
            "repeat_unit",
            "repeat_until",
            "repeat_count",
        ]
        field_classes = {"care_plan": RecordChoiceField, "goal": RecordChoiceField}
        widgets = {"due_at": DateTimeInput, "repeat_until": DateInput}

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        plans = patient.care_plans.filter(status__in=OPEN_CARE_PLAN)
        self.fields["care_plan"].queryset = plans
        self.fields["goal"].queryset = Goal.objects.open().filter(care_plan__in=plans)
        self.fields["assignee"].queryset = team_staff([patient.care_team_id])


class TaskCompleteForm(forms.Form):
    note = forms.CharField(
        label=_("Completion note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = VersionField()


class TaskRescheduleForm(forms.Form):
    due_at = forms.DateTimeField(label=_("New due time"), widget=DateTimeInput)
    version = VersionField()

    def clean_due_at(self) -> datetime.datetime:
        due_at = self.cleaned_data["due_at"]
        if due_at < timezone.now() - datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("Choose a time that has not passed."))
        return due_at


class TaskSnoozeForm(forms.Form):
    """Push a task later by a day or a week (careplans.services.task_snooze). On lists the
    choices are two submit buttons named ``days``; the page without JavaScript shows radios."""

    days = forms.TypedChoiceField(
        label=_("Snooze for"),
        choices=[(1, _("1 day")), (7, _("1 week"))],
        coerce=int,
        widget=forms.RadioSelect,
        initial=1,
    )
    version = VersionField()

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        if days not in SNOOZE_DAYS:
            raise forms.ValidationError(_("Snooze for a day or for a week."))
        return days


class TaskFilter(django_filters.FilterSet):
    """The task list: whose open tasks (the signed-in user's unless another member of their
    teams is chosen, e.g. a case manager's drill-down from the caseload review) and
    overdue only. The queryset comes scoped (careplans.selectors.tasks_visible_to)."""

    # Choices from one query (the team staff), used for validation and the select alike.
    assignee = django_filters.TypedChoiceFilter(
        label=_("Assigned to"), field_name="assignee_id", coerce=int, choices=[]
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )

    class Meta:
        model = Task
        fields = ["assignee", "overdue"]

    def __init__(self, *args, user, now: datetime.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        use_fast_selects(self)
        self.now = now
        self.staff = {member.pk: member for member in team_staff(teams_of(user).values("pk"))}
        self.filters["assignee"].extra["choices"] = [
            (pk, str(member)) for pk, member in self.staff.items()
        ]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(due_at__lt=self.now) if value else queryset
