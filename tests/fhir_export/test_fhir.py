"""The FHIR R4 export: every resource validates with fhir.resources (its R4B models, the
R4 revision the installed version ships), the same auth and scope as the API."""

from __future__ import annotations

import pytest
from fhir.resources.R4B import get_fhir_model_class
from rest_framework.test import APIClient

from tests.api.conftest import token_client
from tests.careplans.factories import CarePlanFactory, GoalFactory, GoalProgressFactory, TaskFactory
from tests.referrals.factories import ReferralFactory, ServiceFactory

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"


def validated(resource: dict) -> dict:
    """Parse with the R4B model of its type; raises on any invalid element."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    return resource


@pytest.fixture
def record(patient, coordinator):
    patient.address_line, patient.city, patient.preferred_language = "1 Main St", "Holyoke", "es"
    patient.save()
    plan = CarePlanFactory(patient=patient, author=coordinator, active=True)
    plan.needs.create(category="social", description="Housing")
    goal = GoalFactory(
        care_plan=plan, active=True, target_measure="HbA1c", target_value=7, target_unit="%"
    )
    GoalProgressFactory(
        goal=goal, achievement_status="improving", note="Better", recorded_by=coordinator
    )
    task = TaskFactory(
        patient=patient, care_plan=plan, goal=goal, assignee=coordinator, in_progress=True
    )
    follow_up = TaskFactory(patient=patient, assignee=coordinator)
    return {
        "patient": patient,
        "plan": plan,
        "goal": goal,
        "tasks": [task, follow_up],
        "draft": ReferralFactory(patient=patient, referred_by=coordinator),
        "closed": ReferralFactory(patient=patient, referred_by=coordinator, closed=True),
        "outside": ReferralFactory(
            patient=patient,
            referred_by=coordinator,
            service=None,
            recipient_name="Dr Rivera",
            sent=True,
        ),
        "declined": ReferralFactory(
            patient=patient,
            referred_by=coordinator,
            service=ServiceFactory(website="https://x.example"),
            declined=True,
        ),
    }


def read(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == FHIR_JSON
    return validated(response.json())


def test_every_resource_validates(api, record):
    patient = read(api, f"/fhir/Patient/{record['patient'].pk}")
    assert patient["identifier"][0]["value"] == record["patient"].mrn
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "es"
    plan = read(api, f"/fhir/CarePlan/{record['plan'].pk}")
    assert (plan["status"], plan["intent"]) == ("active", "plan")
    assert plan["goal"] == [{"reference": f"Goal/{record['goal'].pk}"}]
    goal = read(api, f"/fhir/Goal/{record['goal'].pk}")
    assert goal["achievementStatus"]["coding"][0]["code"] == "improving"
    assert goal["target"][0]["detailQuantity"] == {"value": 7.0, "unit": "%"}
    for task in record["tasks"]:
        assert read(api, f"/fhir/Task/{task.pk}")["status"] == task.status


def test_a_referral_is_a_service_request_with_its_fulfilment_task(api, record):
    closed = record["closed"]
    request = read(api, f"/fhir/ServiceRequest/{closed.pk}")
    assert (request["status"], request["intent"]) == ("completed", "order")
    assert request["performer"][0]["reference"] == f"HealthcareService/{closed.service_id}"
    task = read(api, f"/fhir/Task/referral-{closed.pk}")
    assert task["status"] == "completed"
    assert task["focus"] == {"reference": f"ServiceRequest/{closed.pk}"}
    assert task["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "got_help"
    declined = read(api, f"/fhir/Task/referral-{record['declined'].pk}")
    assert (declined["status"], declined["statusReason"]["text"]) == ("rejected", "Because")
    outside = read(api, f"/fhir/ServiceRequest/{record['outside'].pk}")
    assert outside["performer"] == [{"display": "Dr Rivera"}]
    # A draft has no fulfilment Task yet.
    assert read(api, f"/fhir/ServiceRequest/{record['draft'].pk}")["status"] == "draft"
    assert api.get(f"/fhir/Task/referral-{record['draft'].pk}").status_code == 404


def test_everything_is_a_valid_bundle_of_the_patients_records(api, record):
    bundle = read(api, f"/fhir/Patient/{record['patient'].pk}/$everything")
    assert bundle["type"] == "searchset"
    types = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    for entry in bundle["entry"]:
        validated(entry["resource"])
        assert entry["fullUrl"].endswith(
            f"/fhir/{entry['resource']['resourceType']}/{entry['resource']['id']}"
        )
    assert types.count("Patient") == 1 and types.count("CarePlan") == 1 and types.count("Goal") == 1
    assert types.count("ServiceRequest") == 4
    assert types.count("Task") == 2 + 3  # two care tasks, three sent referrals
    assert {"CareTeam", "HealthcareService", "Organization"} <= set(types)
    assert bundle["total"] == len([e for e in bundle["entry"] if e["search"]["mode"] == "match"])
    ids = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    plan = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"
    )
    assert plan["careTeam"][0]["reference"] in ids  # references resolve inside the bundle


def test_everything_holds_only_the_kinds_of_record_the_user_may_view(record, team_a):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    reader = UserFactory(teams=[team_a])
    reader.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_patient", "view_careplan", "view_goal"])
    )
    client = token_client(reader)
    # One at a time: the plan reads, a referral does not (403: in scope, not permitted).
    read(client, f"/fhir/CarePlan/{record['plan'].pk}")
    assert client.get(f"/fhir/ServiceRequest/{record['draft'].pk}").status_code == 403
    bundle = read(client, f"/fhir/Patient/{record['patient'].pk}/$everything")
    types = sorted(entry["resource"]["resourceType"] for entry in bundle["entry"])
    assert types == ["CarePlan", "CareTeam", "Goal", "Patient"]
    plan = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"
    )
    assert "activity" not in plan  # its tasks are not the reader's to see


def test_everything_stays_constant_in_queries(
    api, record, patient, coordinator, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        api.get(f"/fhir/Patient/{patient.pk}/$everything")
    for _ in range(5):
        ReferralFactory(
            patient=patient, referred_by=coordinator, service=ServiceFactory(), sent=True
        )
        TaskFactory(patient=patient, assignee=coordinator)
    with django_assert_max_num_queries(20):
        api.get(f"/fhir/Patient/{patient.pk}/$everything")


@pytest.mark.parametrize(
    "path",
    [
        "/fhir/Patient/{patient}",
        "/fhir/Patient/{patient}/$everything",
        "/fhir/CarePlan/{plan}",
        "/fhir/Goal/{goal}",
        "/fhir/ServiceRequest/{closed}",
        "/fhir/Task/{task}",
        "/fhir/Task/referral-{closed}",
    ],
)
def test_outside_scope_is_a_404_operation_outcome(outsider_api, record, path):
    url = path.format(
        patient=record["patient"].pk,
        plan=record["plan"].pk,
        goal=record["goal"].pk,
        closed=record["closed"].pk,
        task=record["tasks"][0].pk,
    )
    response = outsider_api.get(url)
    assert response.status_code == 404 and response["Content-Type"] == FHIR_JSON
    outcome = validated(response.json())
    assert outcome["issue"][0]["code"] == "not-found"


def test_without_credentials_a_401_operation_outcome(record):
    response = APIClient().get(f"/fhir/Patient/{record['patient'].pk}")
    assert response.status_code == 401 and response["Content-Type"] == FHIR_JSON
    assert validated(response.json())["issue"][0]["code"] == "login"


def test_a_session_works_too_and_accept_json_is_fine(client, coordinator, record):
    client.force_login(coordinator)
    response = client.get(f"/fhir/Patient/{record['patient'].pk}", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"] == FHIR_JSON


def test_admins_export_any_team(admin_user, patient_b):
    read(token_client(admin_user), f"/fhir/Patient/{patient_b.pk}/$everything")


def test_every_status_is_a_code_of_its_fhir_value_set():
    """fhir.resources checks structure, not value sets: these are checked here."""
    from careplans.models import CarePlanStatus, GoalStatus, TaskStatus
    from referrals.models import FHIR_STATUS

    request_status = {
        "draft",
        "active",
        "on-hold",
        "revoked",
        "completed",
        "entered-in-error",
        "unknown",
    }
    task_status = {
        "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
        "in-progress", "on-hold", "failed", "completed", "entered-in-error",
    }  # fmt: skip
    goal_lifecycle = {
        "proposed", "planned", "accepted", "active", "on-hold", "completed", "cancelled",
        "entered-in-error", "rejected",
    }  # fmt: skip
    assert set(CarePlanStatus.values) <= request_status
    assert set(GoalStatus.values) <= goal_lifecycle
    assert set(TaskStatus.values) <= task_status
    assert {pair[0] for pair in FHIR_STATUS.values()} <= request_status
    assert {pair[1] for pair in FHIR_STATUS.values() if pair[1]} <= task_status


def test_the_patient_lists_the_mrn_and_every_identifier(api, patient):
    from tests.factories import PatientIdentifierFactory

    PatientIdentifierFactory(patient=patient, value="H1")
    PatientIdentifierFactory(
        patient=patient,
        system="urn:oid:2.16.840.1.113883.3.1234",
        value="M-2",
        type_code="",
        assigner="",
    )
    resource = read(api, f"/fhir/Patient/{patient.pk}")
    assert resource["identifier"] == [
        {
            "use": "usual",
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                ]
            },
            "system": "urn:carehub:mrn",
            "value": patient.mrn,
        },
        {
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                        "code": "MR",
                        "display": "Medical record number",
                    }
                ]
            },
            "system": "http://hospital.example.org/mrn",
            "value": "H1",
            "assigner": {"display": "Example General Hospital"},
        },
        {"system": "urn:oid:2.16.840.1.113883.3.1234", "value": "M-2"},
    ]
