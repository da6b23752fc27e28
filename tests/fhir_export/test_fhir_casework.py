"""Program enrolments as FHIR EpisodeOfCare and insurance as FHIR Coverage: read alone and
in the patient's $everything, each validated with fhir.resources."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from programs.transitions import enrolment_transition
from tests.benefits.factories import CoverageFactory
from tests.fhir_export.test_fhir import read, validated
from tests.programs.factories import EnrolmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def casework(patient, case_manager):
    program = ProgramFactory(name="Walk with ease", kind="chronic_care")
    paused = EnrolmentFactory(
        patient=patient, program=program, case_manager=case_manager, enrolled=True
    )
    paused = enrolment_transition(
        enrolment=paused, by=case_manager, target="paused", reason="In hospital"
    )
    withdrawn = EnrolmentFactory(patient=patient, case_manager=case_manager)
    withdrawn = enrolment_transition(
        enrolment=withdrawn, by=case_manager, target="disenrolled", reason="Moved away"
    )
    primary = CoverageFactory(patient=patient, plan_name="Standard", group_id="G-7")
    spouse = CoverageFactory(
        patient=patient,
        order=2,
        subscriber_relationship="spouse",
        subscriber_name="Sam Doe",
        plan_name="",
        effective_to=timezone.localdate() + datetime.timedelta(days=30),
    )
    return {"paused": paused, "withdrawn": withdrawn, "primary": primary, "spouse": spouse}


def test_an_enrolment_is_an_episode_of_care_with_its_history(api, patient, casework):
    paused = casework["paused"]
    episode = read(api, f"/fhir/EpisodeOfCare/{paused.pk}")
    assert (episode["status"], episode["patient"]) == (
        "onhold",
        {"reference": f"Patient/{patient.pk}"},
    )
    assert [h["status"] for h in episode["statusHistory"]] == ["planned", "active"]
    assert episode["type"][0]["coding"][0]["code"] == "chronic_care"
    assert episode["type"][0]["text"] == "Walk with ease"
    assert episode["period"] == {"start": paused.start_date.isoformat()}
    assert episode["careManager"]["display"] == str(paused.case_manager)
    assert episode["meta"]["versionId"] == str(paused.version)
    # Withdrawn before it started: cancelled, not finished.
    withdrawn = read(api, f"/fhir/EpisodeOfCare/{casework['withdrawn'].pk}")
    assert withdrawn["status"] == "cancelled"


def test_coverage_names_payer_plan_and_subscriber(api, patient, casework):
    primary = read(api, f"/fhir/Coverage/{casework['primary'].pk}")
    assert (primary["status"], primary["order"]) == ("active", 1)
    assert primary["payor"] == [{"display": "MassHealth"}]
    assert primary["beneficiary"] == primary["subscriber"] == {"reference": f"Patient/{patient.pk}"}
    assert primary["subscriberId"] == casework["primary"].member_id
    assert {c["type"]["coding"][0]["code"]: c["value"] for c in primary["class"]} == {
        "plan": "Standard",
        "group": "G-7",
    }
    spouse = read(api, f"/fhir/Coverage/{casework['spouse'].pk}")
    assert spouse["subscriber"] == {"display": "Sam Doe"}
    assert spouse["relationship"]["coding"][0]["code"] == "spouse"
    assert "subscriberId" not in spouse and "class" not in spouse  # no plan or group
    assert spouse["period"]["end"] == casework["spouse"].effective_to.isoformat()


def test_everything_includes_enrolments_and_coverage(api, patient, casework):
    bundle = read(api, f"/fhir/Patient/{patient.pk}/$everything")
    resources = [entry["resource"] for entry in bundle["entry"]]
    for resource in resources:
        validated(resource)
    episodes = {r["id"] for r in resources if r["resourceType"] == "EpisodeOfCare"}
    coverages = {r["id"] for r in resources if r["resourceType"] == "Coverage"}
    assert episodes == {str(casework["paused"].pk), str(casework["withdrawn"].pk)}
    assert coverages == {str(casework["primary"].pk), str(casework["spouse"].pk)}
    assert bundle["total"] == 1 + 2 + 2  # the patient, two episodes, two coverages
    assert AuditEvent.objects.filter(
        route="fhir:everything", patient=patient, action="export"
    ).exists()


def test_everything_stays_constant_in_queries(
    api, patient, case_manager, casework, django_assert_num_queries
):
    url = f"/fhir/Patient/{patient.pk}/$everything"
    api.get(url)  # the token's last use is noted on the first request of a minute
    # The token with its user, the user's roles with their permissions, the patient and
    # its identifiers; the patient's care plans, goals, tasks and referrals (no plans or goals here: their
    # prefetches do not run); enrolments, their status changes, coverage; the audit row.
    with django_assert_num_queries(13):
        api.get(url)
    for _ in range(4):
        EnrolmentFactory(patient=patient, case_manager=case_manager, enrolled=True)
        CoverageFactory(patient=patient)
    with django_assert_num_queries(13):
        api.get(url)


@pytest.mark.parametrize("kind", ["EpisodeOfCare", "Coverage"])
def test_outside_scope_is_a_404_operation_outcome(outsider_api, casework, kind):
    record = casework["paused"] if kind == "EpisodeOfCare" else casework["primary"]
    response = outsider_api.get(f"/fhir/{kind}/{record.pk}")
    assert response.status_code == 404
    assert validated(response.json())["issue"][0]["code"] == "not-found"


def test_every_status_is_a_code_of_its_fhir_value_set():
    """fhir.resources checks structure, not value sets: these are checked here."""
    from benefits.models import CoverageStatus, SubscriberRelationship
    from fhir_export.resources import episode_status
    from programs.models import EnrolmentStatus

    episode = {
        "planned",
        "waitlist",
        "active",
        "onhold",
        "finished",
        "cancelled",
        "entered-in-error",
    }
    financial = {"active", "cancelled", "draft", "entered-in-error"}
    relationship = {"child", "parent", "spouse", "common", "other", "self", "injured"}
    assert {
        episode_status(status, started=started)
        for status in EnrolmentStatus.values
        for started in (True, False)
    } <= episode
    assert set(CoverageStatus.values) <= financial
    assert set(SubscriberRelationship.values) <= relationship
