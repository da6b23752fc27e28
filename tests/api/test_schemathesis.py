"""Schemathesis against the running app (its WSGI application, in-process) with an API
token: on every operation of the schema, no 5xx, and every answer (status, content type,
headers, body) conforms to the schema. Bounded so it runs in well under two minutes."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks

from api.tokens import api_token_create
from assessments.services import assessment_record
from programs.services import session_record
from tests.assessments.factories import DomainRuleFactory, question_with_options
from tests.benefits.factories import (
    BenefitApplicationFactory,
    CoverageFactory,
    PriorAuthorisationFactory,
)
from tests.careplans.factories import CarePlanFactory, GoalFactory, GoalProgressFactory, TaskFactory
from tests.programs.factories import EnrolmentFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 5


# Built at collection (pytest-django has set Django up by then); no database needed.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.fixture
def token(admin_user, coordinator, case_manager, patient):
    """Some records to find (ids from 1), and an admin's token: every record is in scope."""
    plan = CarePlanFactory(patient=patient, author=coordinator, active=True)
    goal = GoalFactory(care_plan=plan, active=True)
    GoalProgressFactory(goal=goal, recorded_by=coordinator)
    TaskFactory(patient=patient, care_plan=plan, assignee=coordinator)
    ReferralFactory(patient=patient, referred_by=coordinator, sent=True)
    # Casework: a scored screening with its need, an enrolment with attendance, coverage,
    # an authorisation and an application with its checklist.
    rule = DomainRuleFactory(domain="food")
    question = question_with_options(rule.template, "food", [0, 3])
    assessment_record(
        patient=patient,
        template=rule.template,
        by=case_manager,
        answers={question.pk: question.options.last().pk},
    )
    enrolment = EnrolmentFactory(patient=patient, case_manager=case_manager, enrolled=True)
    session_record(
        enrolment=enrolment, by=coordinator, held_on=enrolment.start_date, status="missed"
    )
    PriorAuthorisationFactory(patient=patient, coverage=CoverageFactory(patient=patient))
    BenefitApplicationFactory(patient=patient, case_manager=case_manager)
    return api_token_create(user=admin_user, by=admin_user, name="schemathesis", scope="write")[1]


@pytest.fixture(autouse=True)
def _one_connection():
    """The WSGI handler would close the test's database connection after each request
    (close_old_connections); Django's test client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        # Not conformance: optional query parameters that are empty or malformed are
        # ignored by convention (django-filter: empty = no filter; DRF: a bad page_size is
        # the default), and rules the schema cannot say (a date not in the future, one
        # active plan per patient, the assignee's team) answer 400 to schema-valid input.
        excluded_checks=[checks.negative_data_rejection, checks.positive_data_acceptance],
    )
