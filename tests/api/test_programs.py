"""/api/v1/programs/, /api/v1/enrolments/ and /api/v1/attendance-sessions/."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent, AuditOutcome
from programs import services
from programs.models import Enrolment, EnrolmentTransition, Session
from reminders.models import Reminder, ReminderKind
from tests.api.conftest import token_client
from tests.factories import UserFactory
from tests.programs.factories import EnrolmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/programs/"
ENROLMENTS = "/api/v1/enrolments/"
SESSIONS = "/api/v1/attendance-sessions/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def program(team_a):
    return ProgramFactory(name="Recovery coaching", team=team_a, attendance_threshold=75)


@pytest.fixture
def enrolment(patient, case_manager, program):
    return EnrolmentFactory(
        patient=patient, program=program, case_manager=case_manager, enrolled=True
    )


def attend(enrolment, by, *statuses: str) -> None:
    for status in statuses:
        services.session_record(enrolment=enrolment, by=by, held_on=days_ago(0), status=status)


# --- Programs ----------------------------------------------------------------------------------


def test_programs_are_a_directory_for_everyone_signed_in(api, outsider_api, program):
    closed = ProgramFactory(name="Old program", is_active=False, kind="other")
    assert ids(outsider_api.get(PROGRAMS)) == [closed.pk, program.pk]
    assert ids(api.get(PROGRAMS, {"is_active": "true"})) == [program.pk]
    assert ids(api.get(PROGRAMS, {"kind": "other"})) == [closed.pk]
    body = api.get(f"{PROGRAMS}{program.pk}/").json()
    assert (body["name"], body["attendance_threshold"]) == ("Recovery coaching", 75)
    assert api.post(PROGRAMS, {"name": "x"}).status_code == 405


# --- Enrolments --------------------------------------------------------------------------------


def test_refer_a_patient_to_a_program(manager_api, patient, case_manager, program):
    response = manager_api.post(
        ENROLMENTS,
        {"patient": patient.pk, "program": program.pk, "case_manager": case_manager.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["allowed_transitions"]) == (
        "referred",
        ["disenrolled", "enrolled"],
    )
    assert response["ETag"] == '"1"'
    enrolment = Enrolment.objects.get(pk=body["id"])
    assert EnrolmentTransition.objects.get(enrolment=enrolment).to_status == "referred"
    again = manager_api.post(
        ENROLMENTS,
        {"patient": patient.pk, "program": program.pk, "case_manager": case_manager.pk},
    )
    assert again.status_code == 400 and "program" in again.json()
    assert Enrolment.objects.count() == 1


def test_enrolment_input_is_checked_by_field(
    manager_api, patient, patient_b, case_manager, coordinator, program, team_b
):
    closed = ProgramFactory(is_active=False)
    manager_b = UserFactory(role=Role.CASE_MANAGER, teams=[team_b])
    cases = [
        ({"program": closed.pk}, "program"),
        ({"case_manager": coordinator.pk}, "case_manager"),  # not a case manager
        ({"case_manager": manager_b.pk}, "case_manager"),  # not of the caller's teams
        ({"patient": patient_b.pk}, "patient"),  # outside scope: "does not exist"
        ({"referred_on": "soon"}, "referred_on"),
    ]
    for extra, field in cases:
        body = {
            "patient": patient.pk,
            "program": program.pk,
            "case_manager": case_manager.pk,
            **extra,
        }
        response = manager_api.post(ENROLMENTS, body)
        assert response.status_code == 400 and field in response.json(), (extra, response.json())
    assert not Enrolment.objects.exists()


def test_coordinators_read_enrolments_but_do_not_refer(api, patient, case_manager, program):
    response = api.post(
        ENROLMENTS,
        {"patient": patient.pk, "program": program.pk, "case_manager": case_manager.pk},
    )
    assert response.status_code == 403 and not Enrolment.objects.exists()


def test_list_filters_attendance_share_and_the_threshold_flag(
    api, outsider_api, patient, patient_b, case_manager, coordinator_b, program, enrolment
):
    EnrolmentFactory(patient=patient_b, case_manager=coordinator_b)
    referred = EnrolmentFactory(patient=patient, case_manager=case_manager)
    attend(enrolment, case_manager, "attended", "missed", "missed", "excused")
    assert set(ids(api.get(ENROLMENTS))) == {enrolment.pk, referred.pk}
    assert ids(api.get(ENROLMENTS, {"below_threshold": "true"})) == [enrolment.pk]
    assert ids(api.get(ENROLMENTS, {"below_threshold": "false"})) == [referred.pk]
    assert ids(api.get(ENROLMENTS, {"status": "referred", "patient": patient.pk})) == [referred.pk]
    assert ids(api.get(ENROLMENTS, {"program": program.pk, "open": "true"})) == [enrolment.pk]
    body = api.get(f"{ENROLMENTS}{enrolment.pk}/").json()
    assert (body["attended_count"], body["missed_count"], body["excused_count"]) == (1, 2, 1)
    assert (body["attendance_share"], body["is_below_threshold"]) == (33, True)
    assert (body["completion_share"], body["sessions_remaining"]) == (10, 9)
    assert body["program_name"] == "Recovery coaching" and body["start_date"]
    assert outsider_api.get(f"{ENROLMENTS}{enrolment.pk}/").status_code == 404
    assert ids(outsider_api.get(ENROLMENTS, {"patient": patient.pk})) == []


def test_moves_and_their_refusals_change_nothing(manager_api, enrolment, case_manager):
    url = f"{ENROLMENTS}{enrolment.pk}/transition/"
    rows = EnrolmentTransition.objects.filter(enrolment=enrolment).count()
    # A pause needs a reason: 400, nothing written.
    missing = manager_api.post(url, {"to": "paused"})
    assert missing.status_code == 400 and "reason" in missing.json()
    # Not a move from enrolled: 409 with the allowed ones.
    refused = manager_api.post(url, {"to": "referred"})
    assert refused.status_code == 409
    assert (refused.json()["current"], refused.json()["allowed"]) == (
        "enrolled",
        ["completed", "disenrolled", "paused"],
    )
    # A version that is no longer current: 412.
    stale = manager_api.post(url, {"to": "completed", "version": enrolment.version - 1})
    assert stale.status_code == 412
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.version) == ("enrolled", 2)
    assert EnrolmentTransition.objects.filter(enrolment=enrolment).count() == rows
    paused = manager_api.post(
        url, {"to": "paused", "reason": "In hospital", "version": 2}, HTTP_IF_MATCH='"2"'
    )
    assert paused.status_code == 200, paused.content
    assert (paused.json()["status"], paused.json()["status_reason"]) == ("paused", "In hospital")
    assert paused["ETag"] == '"3"'
    mismatch = manager_api.post(url, {"to": "enrolled", "version": 3}, HTTP_IF_MATCH='"2"')
    assert mismatch.status_code == 412
    # An end before the start is refused, not moved to the start.
    early = manager_api.post(url, {"to": "disenrolled", "reason": "Moved away", "on": "2020-01-01"})
    assert early.status_code == 400 and "cannot end before" in early.json()["on"][0]
    ended = manager_api.post(url, {"to": "disenrolled", "reason": "Moved away"})
    assert ended.status_code == 200
    assert ended.json()["end_date"] == timezone.localdate().isoformat()
    assert ended.json()["allowed_transitions"] == []
    row = EnrolmentTransition.objects.filter(enrolment=enrolment).first()
    assert (row.from_status, row.to_status, row.actor, row.reason) == (
        "paused",
        "disenrolled",
        case_manager,
        "Moved away",
    )


def test_coordinators_may_not_move_enrolments_and_outsiders_see_none(api, outsider_api, enrolment):
    url = f"{ENROLMENTS}{enrolment.pk}/transition/"
    assert api.post(url, {"to": "completed"}).status_code == 403
    assert outsider_api.post(url, {"to": "completed"}).status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.status == "enrolled"
    assert (
        AuditEvent.objects.filter(
            route="api:enrolment-transition", outcome=AuditOutcome.DENIED
        ).count()
        == 2
    )


# --- Attendance ------------------------------------------------------------------------------


def test_coordinators_record_attendance_and_the_counts_follow(
    api, patient, coordinator, case_manager, enrolment
):
    response = api.post(
        SESSIONS,
        {
            "enrolment": enrolment.pk,
            "held_on": days_ago(0).isoformat(),
            "status": "missed",
            "topic": "Group 1",
        },
    )
    assert response.status_code == 201, response.content
    session = Session.objects.get(pk=response.json()["id"])
    assert (session.recorded_by, response.json()["patient"]) == (coordinator, patient.pk)
    enrolment.refresh_from_db()
    assert (enrolment.missed_count, enrolment.is_below_threshold) == (1, True)
    # The drop below the threshold reminds the responsible case manager.
    reminder = Reminder.objects.get(kind=ReminderKind.ATTENDANCE_BELOW_THRESHOLD)
    assert reminder.recipient_user == case_manager
    event = AuditEvent.objects.get(route="api:attendance-session-list", method="POST")
    assert (event.patient_id, event.object_type) == (patient.pk, "programs.enrolment")


def test_attendance_is_refused_by_field_and_records_nothing(
    api, outsider_api, patient, case_manager, enrolment
):
    referred = EnrolmentFactory(patient=patient, case_manager=case_manager)
    today = days_ago(0).isoformat()
    cases = [
        (
            api,
            {"enrolment": referred.pk, "held_on": today, "status": "attended"},
            "non_field_errors",
        ),
        (
            api,
            {"enrolment": enrolment.pk, "held_on": "2999-01-01", "status": "attended"},
            "held_on",
        ),
        (
            api,
            {"enrolment": enrolment.pk, "held_on": days_ago(400).isoformat(), "status": "missed"},
            "held_on",
        ),
        (api, {"enrolment": enrolment.pk, "held_on": today, "status": "late"}, "status"),
        (
            outsider_api,
            {"enrolment": enrolment.pk, "held_on": today, "status": "attended"},
            "enrolment",
        ),
    ]
    for client, body, field in cases:
        response = client.post(SESSIONS, body)
        assert response.status_code == 400 and field in response.json(), (body, response.json())
    assert not Session.objects.exists()
    enrolment.refresh_from_db()
    assert enrolment.attended_count + enrolment.missed_count == 0


def test_sessions_list_filter_detail_and_scope(
    api, outsider_api, admin_user, patient, case_manager, enrolment
):
    attend(enrolment, case_manager, "attended", "missed")
    other = EnrolmentFactory(patient=patient, case_manager=case_manager, enrolled=True)
    attend(other, case_manager, "attended")
    listed = ids(api.get(SESSIONS, {"enrolment": enrolment.pk}))
    assert len(listed) == 2
    assert len(ids(api.get(SESSIONS, {"status": "attended", "patient": patient.pk}))) == 2
    body = api.get(f"{SESSIONS}{listed[0]}/").json()
    assert (body["enrolment"], body["patient"]) == (enrolment.pk, patient.pk)
    assert outsider_api.get(f"{SESSIONS}{listed[0]}/").status_code == 404
    assert ids(outsider_api.get(SESSIONS)) == []
    assert len(ids(token_client(admin_user).get(SESSIONS))) == 3
