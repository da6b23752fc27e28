"""The built-in ``label`` filter shows what get_FOO_display shows."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from carehub.labels import label
from careplans.models import Task
from patients.models import Patient, PatientStatus, RiskLevel
from referrals.models import Referral

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Patient, Task, Referral])
def test_every_choice_of_every_field_reads_as_get_foo_display(model):
    for field in model._meta.concrete_fields:
        if not field.choices:
            continue
        for value, _label in field.flatchoices:
            record = model(**{field.attname: value})
            assert label(record, field.name) == getattr(record, f"get_{field.name}_display")()


def test_a_value_outside_the_choices_shows_as_itself():
    assert label(Patient(status="archived-elsewhere"), "status") == "archived-elsewhere"


def test_in_a_template_without_loading_anything():
    template = Template('{{ patient|label:"risk_level" }} / {{ patient|label:"status" }}')
    patient = Patient(risk_level=RiskLevel.HIGH, status=PatientStatus.ACTIVE)
    rendered = template.render(Context({"patient": patient}))
    assert rendered == f"{patient.get_risk_level_display()} / {patient.get_status_display()}"


def test_an_object_that_is_not_a_model_uses_its_own_display():
    class Row:
        def get_status_display(self):
            return "Open"

    assert label(Row(), "status") == "Open"
