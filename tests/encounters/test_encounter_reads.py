"""Encounters on the patient page, in the REST API and in FHIR (Encounter read and search,
and in $everything), in the user's scope only."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from encounters.models import NoticeEvent
from encounters.services import Notice, notice_record
from tests.api.conftest import api, outsider_api  # noqa: F401
from tests.factories import PatientFactory
from tests.fhir_export.test_fhir import FHIR_JSON, validated

pytestmark = pytest.mark.django_db


@pytest.fixture
def stay(patient):
    start = timezone.now() - datetime.timedelta(days=3)
    for event, hours, extra in [
        (
            NoticeEvent.ADMIT,
            0,
            {"location": "4W, 401", "attending": "Dr John Smith", "facility": "General Hospital"},
        ),
        (
            NoticeEvent.DISCHARGE,
            50,
            {
                "discharge_disposition": "01",
                "diagnoses": [
                    {
                        "code": "I50.9",
                        "system": "http://hl7.org/fhir/sid/icd-10-cm",
                        "text": "Heart failure",
                    }
                ],
            },
        ),
    ]:
        outcome = notice_record(
            patient=patient,
            notice=Notice(
                event=event,
                occurred_at=start + datetime.timedelta(hours=hours),
                facility_key="GENHOSP",
                visit_number="V9",
                **extra,
            ),
            source="test",
        )
    return outcome.encounter


def test_the_patient_page_shows_the_timeline(coordinator_client, patient, stay):
    page = coordinator_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Hospital and visits" in page and "General Hospital" in page and "Heart failure" in page


def test_the_api_lists_and_reads_encounters_in_scope(api, outsider_api, patient, stay):  # noqa: F811
    listed = api.get(reverse("api:encounter-list"), {"patient": patient.pk})
    assert listed.status_code == 200
    (row,) = listed.json()["results"]
    assert row["status"] == "finished" and row["encounter_class"] == "IMP"
    assert row["diagnoses"][0]["code"] == "I50.9"
    assert api.get(reverse("api:encounter-detail", args=[stay.pk])).status_code == 200
    assert outsider_api.get(reverse("api:encounter-detail", args=[stay.pk])).status_code == 404
    assert outsider_api.get(reverse("api:encounter-list")).json()["results"] == []
    assert api.get(reverse("api:encounter-list"), {"status": "nonsense"}).status_code == 400


def test_fhir_encounter_read_search_and_everything(api, outsider_api, patient, stay, team_a):  # noqa: F811
    resource = api.get(f"/fhir/Encounter/{stay.pk}").json()
    validated(resource)
    assert (
        resource["class"]["code"] == "IMP"
        and resource["subject"]["reference"] == f"Patient/{patient.pk}"
    )
    assert (
        resource["period"]["end"]
        and resource["hospitalization"]["dischargeDisposition"]["text"] == "01"
    )
    other = PatientFactory(care_team=team_a)
    bundle = api.get("/fhir/Encounter", {"patient": patient.pk})
    assert bundle["Content-Type"].startswith(FHIR_JSON)
    body = validated(bundle.json())
    assert [e["resource"]["id"] for e in body["entry"]] == [str(stay.pk)]
    assert (
        api.get("/fhir/Encounter", {"subject": f"Patient/{other.pk}"}).json().get("entry", []) == []
    )
    search_row = AuditEvent.objects.filter(route="fhir:encounter-search").order_by("pk").first()
    assert search_row.patient_id == patient.pk
    refused = api.get("/fhir/Encounter", {"_count": "0"})
    assert refused.status_code == 400 and refused.json()["resourceType"] == "OperationOutcome"
    assert outsider_api.get(f"/fhir/Encounter/{stay.pk}").status_code == 404
    assert (
        outsider_api.get("/fhir/Encounter", {"patient": patient.pk}).json().get("entry", []) == []
    )
    everything = api.get(f"/fhir/Patient/{patient.pk}/$everything").json()
    assert any(e["resource"]["resourceType"] == "Encounter" for e in everything["entry"])
