"""Parse and validate input only: the screening form is built from its template's rows."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import AssessmentLanguage, Question, ScreeningTemplate
from carehub.fields import RecordChoiceField
from careplans.forms import DateInput
from careplans.models import OPEN_CARE_PLAN, OPEN_GOAL, CarePlanNeed, Goal
from patients.models import Patient
from referrals.models import Referral


class TemplateChoiceForm(forms.Form):
    template = RecordChoiceField(
        label=_("Screening"), queryset=ScreeningTemplate.objects.active(), empty_label=None
    )
    language = forms.ChoiceField(
        label=_("Ask the questions in"), choices=AssessmentLanguage.choices, required=False
    )


class AssessmentForm(forms.Form):
    """One radio group per question (``question_<id>``), labelled in the patient's language;
    the questions of optional domains count only when ``included_optional`` is ticked."""

    assessed_on = forms.DateField(
        label=_("Date of the assessment"), widget=DateInput, initial=timezone.localdate
    )
    language = forms.ChoiceField(
        label=_("Asked in"), choices=AssessmentLanguage.choices, widget=forms.HiddenInput
    )
    included_optional = forms.BooleanField(
        label=_("The patient also answered the optional questions"), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, questions: list[Question], optional_domains: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        language = self.data.get("language") or self.initial.get("language") or "en"
        self.core_fields: list[str] = []
        self.optional_fields: list[str] = []
        for question in questions:
            name = f"question_{question.pk}"
            self.fields[name] = forms.TypedChoiceField(
                label=question.text_in(language),
                choices=[(o.pk, o.text_in(language)) for o in question.options.all()],
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[name].question = question
            if question.domain in optional_domains:
                self.optional_fields.append(name)
            else:
                self.core_fields.append(name)

    def answers(self) -> dict[int, int]:
        return {
            int(name.removeprefix("question_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("question_") and value not in (None, "")
        }

    def core_questions(self):
        return [self[name] for name in self.core_fields]

    def optional_questions(self):
        return [self[name] for name in self.optional_fields]


class NeedAddressForm(forms.Form):
    care_plan_need = RecordChoiceField(
        label=_("Need of a care plan"), queryset=CarePlanNeed.objects.none(), required=False
    )
    goal = RecordChoiceField(label=_("Goal"), queryset=Goal.objects.none(), required=False)

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_plan_need"].queryset = CarePlanNeed.objects.filter(
            care_plan__patient=patient, care_plan__status__in=OPEN_CARE_PLAN
        ).select_related("care_plan")
        self.fields["goal"].queryset = Goal.objects.filter(
            care_plan__patient=patient, status__in=OPEN_GOAL
        )


class NeedResolveForm(forms.Form):
    referral = RecordChoiceField(
        label=_("Resolved by the referral"), queryset=Referral.objects.none(), required=False
    )
    goal = RecordChoiceField(
        label=_("Resolved by the goal"), queryset=Goal.objects.none(), required=False
    )
    note = forms.CharField(
        label=_("How it was resolved"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    resolved_on = forms.DateField(
        label=_("Resolved on"), widget=DateInput, initial=timezone.localdate
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = Referral.objects.filter(patient=patient).select_related(
            "service__organization"
        )
        self.fields["goal"].queryset = Goal.objects.filter(care_plan__patient=patient)
