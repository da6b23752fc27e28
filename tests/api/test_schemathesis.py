"""Schemathesis against the running app (its WSGI application, in-process) with an API
token, every check on, on every operation of the schema: no 5xx; every answer (status,
content type, headers, body) conforms to the schema; input the schema allows is accepted
and input it does not allow is refused. Bounded so it runs in well under two minutes.

Two answers to schema-valid input are right although no schema can say when they come:

- 412, to a version (body or If-Match) that is not the record's current one;
- 400 naming only fields whose values break a rule about other records or other fields:
  an id of no record in your scope (or of the wrong kind: a user who is not on the
  patient's care team), a rule listed in RULES, or a NUL character in a text. Any other
  400 still fails.

The stateful run follows the schema's links between operations (a record created or
listed, then read, changed, moved and its sub-records) with every check but the
acceptance of schema-valid input, which the stateless run checks; a test follows the
links by hand too."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks

from api.base import MAX_ID
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
# Every text field refuses a NUL character with this 400 (PostgreSQL cannot store one), a
# rule of all text that the schema does not repeat on each string.
NUL_REFUSED = "Null characters are not allowed."
# A text that may not be blank has the schema's pattern \S (more than whitespace); what
# counts as whitespace differs at the edges between the generator's regular expressions
# and str.strip() (the server trims first), so this refusal of a drawn text is right too.
BLANK_REFUSED = "This field may not be blank."
EXPLAINED_EVERYWHERE = ([NUL_REFUSED], [BLANK_REFUSED])


# Built at collection (pytest-django has set Django up by then); no database needed.
RAW_SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                # schemathesis' defaults, and 412: a stale version changes nothing.
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "429"]
            }
        }
    }
)
schema = schemathesis.openapi.from_dict(RAW_SCHEMA, config=CONFIG)
schema.app = get_wsgi_application()

# Field -> the rule no schema can say that refuses some of its schema-valid values with
# 400, per operation ("*": every write). A write's 400 that names only these fields (or
# ids, see _unexplained) answers schema-valid input rightly.
RULES: dict[str, dict[str, str]] = {
    "*": {
        # Optional in the body because If-Match may carry it instead; one of the two.
        "version": "the version you loaded, in the body or as If-Match",
        # A number libphonenumber reads as valid for its region: no pattern can say it.
        "phone": "a valid phone number",
    },
    "POST /api/v1/assessments/": {
        "answers": "one answer per question",
        "non_field_errors": "each answer is one of its question's options",
    },
    "POST /api/v1/attendance-sessions/": {"held_on": "not before the enrolment started"},
    "POST /api/v1/identified-needs/{id}/resolve/": {
        "note": "the referral or goal that resolved it, or how it was resolved",
    },
    "POST /api/v1/patients/": {
        "mrn": "not another patient's MRN",
        "date_of_birth": "not in the future",
    },
    "POST /api/v1/patients/{id}/identifiers/": {
        "value": "not a value a patient already holds in that system",
        # The URI pattern is in the schema; JSON Schema's regular expressions and
        # Python's differ at the edges (what \S and $ match): a drawn value can pass one
        # and not the other.
        "system": "a URI (the schema's pattern)",
    },
    "PATCH /api/v1/patients/{id}/": {
        "mrn": "not another patient's MRN",
        "date_of_birth": "not in the future",
    },
}
_PLAN = {"period_end": "not before the plan starts"}
_GOAL = {"target_measure": "said when there is a target value"}
_AUTHORISATION = {"units_used": "no more than approved"}
_TASK = {
    "repeat_every": "given when the task repeats until a date or a number of times",
    "repeat_unit": "given when the task repeats",
    "repeat_until": "a date or a number of times when the task repeats",
}
for _path, _rules in [
    ("/api/v1/care-plans/", _PLAN),
    ("/api/v1/goals/", _GOAL),
    ("/api/v1/prior-authorisations/", _AUTHORISATION),
    ("/api/v1/tasks/", _TASK),
]:
    RULES[f"POST {_path}"] = RULES[f"PATCH {_path}{{id}}/"] = _rules


def _resolve(node: dict) -> dict:
    while "$ref" in node or ("allOf" in node and len(node["allOf"]) == 1):
        if "$ref" in node:
            node = RAW_SCHEMA["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        else:
            node = node["allOf"][0]
    return node


def _is_id(node: dict) -> bool:
    node = _resolve(node)
    return node.get("type") == "integer" and (node.get("minimum"), node.get("maximum")) == (
        1,
        MAX_ID,
    )


def _unexplained(errors, node: dict, rules: dict[str, str]) -> list[str]:
    """The fields in a 400's errors whose refusal neither an id (a record that must exist
    in your scope) nor a rule explains."""
    if errors in EXPLAINED_EVERYWHERE:  # any text, at any depth: see above
        return []
    node = _resolve(node)
    if node.get("type") == "array":
        if isinstance(errors, dict) and all(key.isdigit() for key in errors):
            items = list(errors.values())  # a list field's errors: by item's position
        else:
            items = errors if isinstance(errors, list) else [errors]
        return [name for item in items for name in _unexplained(item, node["items"], rules)]
    properties = node.get("properties")
    if not isinstance(errors, dict) or properties is None:
        return ["(body)"] if errors else []
    unexplained = []
    for name, error in errors.items():
        if (
            name in rules
            or error in EXPLAINED_EVERYWHERE
            or (name in properties and _is_id(properties[name]))
        ):
            continue
        nested = isinstance(error, dict) or not all(isinstance(e, str) for e in error)
        if name in properties and nested:
            unexplained += [f"{name}.{n}" for n in _unexplained(error, properties[name], rules)]
        else:
            unexplained.append(name)
    return unexplained


def _refused_by_rule(case, response) -> bool:
    """A 400 to schema-valid input that only ids and RULES explain."""
    if (
        case.meta is None
        or not case.meta.generation.mode.is_positive
        or response.status_code != 400
    ):
        return False
    errors = response.json()
    if isinstance(errors, dict) and errors and all(e == [NUL_REFUSED] for e in errors.values()):
        return True  # a NUL in a query parameter or a text of the body
    operation = RAW_SCHEMA["paths"][case.operation.path][case.method.lower()]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is None:
        return False
    rules = {**RULES["*"], **RULES.get(case.operation.label, {})}
    return _unexplained(errors, body["schema"], rules) == []


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
    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(headers=headers)
    excluded = [checks.positive_data_acceptance] if _refused_by_rule(case, response) else []
    case.validate_response(
        response,
        headers=headers,
        excluded_checks=excluded,
        transport_kwargs={"headers": dict(headers)},
    )


STATEFUL_EXAMPLES = 60
STATEFUL_STEPS = 8


def test_api_workflows_conform_to_its_schema(token):
    """Stateful: chains of calls along the links between operations (a created or listed
    record's id into its read, change, transition and sub-resources), every check on
    every step, the answers right as above."""
    headers = {"Authorization": f"Bearer {token}"}

    class Workflow(schema.as_state_machine()):
        # Each chain starts from the same records: its writes are rolled back after it,
        # so that Hypothesis replaying a chain sees the answers it saw the first time.
        def setup(self):
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # Along the chains every check but one: whether schema-valid input is accepted
            # is the stateless run's (above, with its RULES), whose draws are the same on
            # every run; a chain's draws depend on the ids it met.
            case.validate_response(
                response,
                headers=headers,
                excluded_checks=[checks.positive_data_acceptance],
                transport_kwargs=kwargs,
            )

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )


def _pointer(document, expression: str):
    """A runtime expression's JSON pointer into a body ("$response.body#/results/0/id")."""
    value = document
    for part in expression.split("#", 1)[1].strip("/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def test_the_schemas_links_lead_to_operations_that_take_them(token):
    """Every link names an operation of the schema and parameters it takes; and followed
    by hand from a list, a record's read and change answer (its ETag as If-Match)."""
    operations = {
        operation["operationId"]: operation
        for operations_of_path in RAW_SCHEMA["paths"].values()
        for operation in operations_of_path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    links = [
        link
        for operations_of_path in RAW_SCHEMA["paths"].values()
        for operation in operations_of_path.values()
        if isinstance(operation, dict)
        for answer in operation.get("responses", {}).values()
        for link in answer.get("links", {}).values()
        if "operationId" in link  # the schema's own (schemathesis adds inferred ones)
    ]
    assert len(links) > 100
    for link in links:
        target = operations[link["operationId"]]
        for key in link["parameters"]:
            where, name = key.split(".", 1)
            assert any(
                p["in"] == where and p["name"] == name for p in target.get("parameters", ())
            ), (link, key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    listed = client.get("/api/v1/care-plans/")
    to_read = listed.data and RAW_SCHEMA["paths"]["/api/v1/care-plans/"]["get"]["responses"]["200"]
    read_link = to_read["links"]["care_plans_retrieve"]["parameters"]["path.id"]
    record_id = _pointer(listed.json(), read_link)
    read = client.get(f"/api/v1/care-plans/{record_id}/")
    assert read.status_code == 200
    change_link = RAW_SCHEMA["paths"]["/api/v1/care-plans/{id}/"]["get"]["responses"]["200"][
        "links"
    ]["care_plans_partial_update"]["parameters"]
    assert change_link["header.If-Match"] == "$response.header.ETag"
    changed = client.patch(
        f"/api/v1/care-plans/{_pointer(read.json(), change_link['path.id'])}/",
        {"title": "Followed along its links"},
        format="json",
        HTTP_IF_MATCH=read["ETag"],
    )
    assert changed.status_code == 200 and changed.json()["title"] == "Followed along its links"
