"""The unmatched notices queue: the team of the sending facility (and admins) see a
notice, match it to a patient by MRN or dismiss it with a reason; nobody else sees it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from encounters.models import Encounter
from interfaces import services
from interfaces.models import AssigningAuthority, MessageStatus
from tests.interfaces.messages import adt

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(team_a):
    AssigningAuthority.objects.create(
        code="GENHOSP", identifier_system="urn:oid:1.2.3", team=team_a
    )
    message = services.message_receive(
        adt("A01", mrn="NOBODY", family="Quillfeather").encode()
    ).message
    services.message_process(message.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.UNMATCHED
    return message


def test_the_team_sees_and_matches_it_others_do_not(
    coordinator_client, client, coordinator_b, patient, waiting
):
    page = coordinator_client.get(reverse("interfaces:unmatched")).content.decode()
    assert "Quillfeather" in page
    outsider = Client()
    outsider.force_login(coordinator_b)
    assert "Quillfeather" not in outsider.get(reverse("interfaces:unmatched")).content.decode()
    assert outsider.get(reverse("interfaces:unmatched_match", args=[waiting.pk])).status_code == 404
    url = reverse("interfaces:unmatched_match", args=[waiting.pk])
    wrong = coordinator_client.post(url, {"mrn": "NOT-AN-MRN"})
    assert (
        wrong.status_code == 200 and "None of your patients has this MRN." in wrong.content.decode()
    )
    done = coordinator_client.post(url, {"mrn": patient.mrn})
    assert done.status_code == 302 and done["Location"] == reverse(
        "patients:detail", args=[patient.pk]
    )
    assert Encounter.objects.filter(patient=patient).count() == 1
    assert coordinator_client.get(url).status_code == 404  # no longer waiting


def test_dismissed_with_a_reason(coordinator_client, waiting):
    url = reverse("interfaces:unmatched_dismiss", args=[waiting.pk])
    assert (
        "This field is required." in coordinator_client.post(url, {"reason": ""}).content.decode()
    )
    assert coordinator_client.post(url, {"reason": "Not one of ours"}).status_code == 302
    waiting.refresh_from_db()
    assert (
        waiting.status == MessageStatus.DISMISSED and waiting.dismissed_reason == "Not one of ours"
    )
