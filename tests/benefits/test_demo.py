"""seed_demo's casework rows keep the rules the pages keep."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from assessments.models import Assessment, DomainResult, IdentifiedNeed
from benefits.models import ApplicationTransition, BenefitApplication, Coverage
from benefits.transitions import APPLICATION
from patients.models import Patient
from programs.models import Enrolment, EnrolmentTransition, Session
from programs.transitions import ENROLMENT

pytestmark = pytest.mark.django_db


def _follows(model, transitions, owner_field, state_machine):
    current = dict(model.objects.values_list("pk", "status"))
    histories: dict[int, list[tuple[str, str]]] = {}
    for owner, from_status, to_status in transitions.objects.order_by("pk").values_list(
        owner_field, "from_status", "to_status"
    ):
        histories.setdefault(owner, []).append((from_status, to_status))
    assert set(histories) == set(current)
    for owner, moves in histories.items():
        assert moves[0][0] == ""
        for from_status, to_status in moves[1:]:
            assert to_status in state_machine.allowed_from(from_status), (owner, moves)
        assert moves[-1][1] == current[owner]


def test_seed_demo_adds_casework(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", patients=600, verbosity=0)
    assert Assessment.objects.count() > 60
    assert DomainResult.objects.filter(is_positive=True).exists()
    assert (
        IdentifiedNeed.objects.open().exists()
        and IdentifiedNeed.objects.exclude(status="open").exists()
    )
    assert Coverage.objects.count() > 300
    assert Enrolment.objects.count() > 10 and Session.objects.exists()
    assert BenefitApplication.objects.count() > 20
    _follows(Enrolment, EnrolmentTransition, "enrolment_id", ENROLMENT)
    _follows(BenefitApplication, ApplicationTransition, "application_id", APPLICATION)
    for enrolment in Enrolment.objects.all():
        counts = {s: enrolment.sessions.filter(status=s).count() for s in ("attended", "missed")}
        assert (enrolment.attended_count, enrolment.missed_count) == (
            counts["attended"],
            counts["missed"],
        )
    # The demo's case manager opens the view and a screened patient's page.
    manager = User.objects.get(username="manager")
    client.force_login(manager)
    assert client.get(reverse("benefits:casework")).status_code == 200
    screened = Patient.objects.filter(
        assessments__isnull=False, care_team__memberships__user=manager
    ).first()
    assert client.get(reverse("patients:detail", args=[screened.pk])).status_code == 200
