"""Every record picker shows the record's own words, never "Goal #502" (issue 25, item 3):
the forms that pick a plan, a need, a goal, a referral or a coverage, rendered for a
patient who has one of each."""

from __future__ import annotations

import re

import pytest

from assessments.forms import NeedAddressForm, NeedResolveForm
from benefits.forms import AuthorisationForm
from careplans.forms import TaskForm
from referrals.forms import ReferralForm
from tests.benefits.factories import CoverageFactory
from tests.careplans.factories import CarePlanFactory, GoalFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db

NUMBERED = re.compile(r">[^<]*#\d+[^<]*</option>")


@pytest.fixture
def records(patient, coordinator):
    plan = CarePlanFactory(patient=patient, author=coordinator, active=True, title="Stay home")
    plan.needs.create(category="social", description="Rent arrears", position=1)
    GoalFactory(care_plan=plan, active=True, description="Keep the flat")
    ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    CoverageFactory(patient=patient, payer="Medicaid of Oregon", member_id="M-100")
    return plan


@pytest.mark.parametrize(
    "form_class", [ReferralForm, TaskForm, NeedAddressForm, NeedResolveForm, AuthorisationForm]
)
def test_pickers_show_the_records_own_words(form_class, patient, records):
    html = str(form_class(patient=patient))
    options = re.findall(r"<option[^>]*>[^<]*</option>", html)
    assert len(options) > 1, "the form shows no record picker"
    assert not NUMBERED.findall(html), NUMBERED.findall(html)


def test_the_labels_are_the_words(patient, records):
    html = str(TaskForm(patient=patient)) + str(NeedAddressForm(patient=patient))
    assert "Stay home" in html and "Keep the flat" in html and "Stay home: Rent arrears" in html
    assert "Medicaid of Oregon · M-100" in str(AuthorisationForm(patient=patient))
