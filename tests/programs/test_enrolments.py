"""Enrolment transitions (every pair, allowed and refused), attendance shares and the
threshold flag with its reminder to the case manager."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from programs import services
from programs.models import Enrolment, EnrolmentStatus, EnrolmentTransition, SessionStatus
from programs.transitions import ENROLMENT, InvalidTransition, StaleEdit, enrolment_transition
from reminders.models import Reminder, ReminderKind, ReminderState
from tests.programs.factories import EnrolmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)

E = EnrolmentStatus
ALLOWED = {
    (E.REFERRED, E.ENROLLED),
    (E.REFERRED, E.DISENROLLED),
    (E.ENROLLED, E.PAUSED),
    (E.ENROLLED, E.COMPLETED),
    (E.ENROLLED, E.DISENROLLED),
    (E.PAUSED, E.ENROLLED),
    (E.PAUSED, E.DISENROLLED),
}
# How to reach each state from "referred" with allowed moves.
PATHS = {
    E.REFERRED: [],
    E.ENROLLED: [E.ENROLLED],
    E.PAUSED: [E.ENROLLED, E.PAUSED],
    E.COMPLETED: [E.ENROLLED, E.COMPLETED],
    E.DISENROLLED: [E.DISENROLLED],
}


def test_the_machine_is_the_one_in_domain_md():
    pairs = {(s, t) for s, targets in ENROLMENT.moves.items() for t in targets}
    assert pairs == ALLOWED
    assert ENROLMENT.reason_required == {E.PAUSED, E.DISENROLLED}


@pytest.fixture
def enrolment_in(patient, case_manager):
    def make(state):
        enrolment = EnrolmentFactory(patient=patient, case_manager=case_manager)
        for target in PATHS[state]:
            enrolment = enrolment_transition(
                enrolment=enrolment, by=case_manager, target=target, reason="Because"
            )
        return enrolment

    return make


@pytest.mark.parametrize(("current", "target"), list(itertools.product(E.values, E.values)))
def test_every_move_is_allowed_or_refused_as_the_table_says(
    enrolment_in, case_manager, current, target
):
    enrolment = enrolment_in(current)
    before = EnrolmentTransition.objects.filter(enrolment=enrolment).count()
    if (current, target) in ALLOWED:
        moved = enrolment_transition(
            enrolment=enrolment, by=case_manager, target=target, reason="Because"
        )
        assert moved.status == target and moved.version == enrolment.version + 1
        row = EnrolmentTransition.objects.filter(enrolment=enrolment).first()
        assert (row.from_status, row.to_status, row.actor, row.reason) == (
            current,
            target,
            case_manager,
            "Because",
        )
    else:
        with pytest.raises(InvalidTransition):
            enrolment_transition(enrolment=enrolment, by=case_manager, target=target, reason="x")
        enrolment.refresh_from_db()
        assert enrolment.status == current
        assert EnrolmentTransition.objects.filter(enrolment=enrolment).count() == before


@pytest.mark.parametrize("target", [E.PAUSED, E.DISENROLLED])
def test_pause_and_disenrolment_need_a_reason(enrolment_in, case_manager, target):
    enrolment = enrolment_in(E.ENROLLED)
    with pytest.raises(ValidationError):
        enrolment_transition(enrolment=enrolment, by=case_manager, target=target, reason="  ")
    assert Enrolment.objects.get(pk=enrolment.pk).status == E.ENROLLED


def test_enrolling_and_completing_set_the_dates(enrolment_in, case_manager):
    enrolment = enrolment_in(E.REFERRED)
    day = timezone.localdate() - datetime.timedelta(days=10)
    enrolled = enrolment_transition(enrolment=enrolment, by=case_manager, target=E.ENROLLED, on=day)
    assert enrolled.start_date == day and enrolled.end_date is None
    done = enrolment_transition(enrolment=enrolled, by=case_manager, target=E.COMPLETED)
    assert done.start_date == day and done.end_date == timezone.localdate()


def test_dates_in_the_future_or_an_end_before_the_start_are_refused(enrolment_in, case_manager):
    today = timezone.localdate()
    enrolment = enrolment_in(E.REFERRED)
    with pytest.raises(ValidationError, match="future"):
        enrolment_transition(
            enrolment=enrolment, by=case_manager, target=E.ENROLLED, on=today + DAY
        )
    enrolled = enrolment_transition(
        enrolment=enrolment, by=case_manager, target=E.ENROLLED, on=today - 5 * DAY
    )
    with pytest.raises(ValidationError, match="cannot end before"):
        enrolment_transition(
            enrolment=enrolled, by=case_manager, target=E.COMPLETED, on=today - 6 * DAY
        )
    unchanged = Enrolment.objects.get(pk=enrolment.pk)
    assert (unchanged.status, unchanged.end_date, unchanged.version) == (
        E.ENROLLED,
        None,
        enrolled.version,
    )
    assert EnrolmentTransition.objects.filter(enrolment=enrolment).count() == 2


def test_a_stale_version_is_refused(enrolment_in, case_manager):
    enrolment = enrolment_in(E.ENROLLED)
    with pytest.raises(StaleEdit):
        enrolment_transition(
            enrolment=enrolment,
            by=case_manager,
            target=E.COMPLETED,
            expected_version=enrolment.version - 1,
        )


def test_moves_need_the_permission_and_the_scope(enrolment_in, coordinator, coordinator_b):
    enrolment = enrolment_in(E.REFERRED)
    for user in (coordinator, coordinator_b):
        with pytest.raises(PermissionDenied):
            enrolment_transition(enrolment=enrolment, by=user, target=E.ENROLLED)


def test_one_open_enrolment_per_program(patient, case_manager):
    program = ProgramFactory()
    services.enrolment_create(
        patient=patient, program=program, by=case_manager, case_manager=case_manager
    )
    with pytest.raises(ValidationError):
        services.enrolment_create(
            patient=patient, program=program, by=case_manager, case_manager=case_manager
        )


def record(enrolment, by, status, days_ago=1):
    return services.session_record(
        enrolment=enrolment,
        by=by,
        held_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        status=status,
    )


def test_attendance_share_and_completion(enrolment_in, case_manager):
    enrolment = enrolment_in(E.ENROLLED)
    assert enrolment.attendance_share is None and enrolment.completion_share == 0
    for status in [SessionStatus.ATTENDED] * 3 + [SessionStatus.EXCUSED]:
        record(enrolment, case_manager, status, days_ago=0)
    enrolment.refresh_from_db()
    assert (enrolment.attended_count, enrolment.missed_count, enrolment.excused_count) == (3, 0, 1)
    assert enrolment.attendance_share == 100  # excused sessions do not count against
    assert enrolment.completion_share == 30  # 3 of the program's 10
    assert enrolment.sessions_remaining == 7
    assert enrolment.sessions_due_by == enrolment.start_date + datetime.timedelta(days=90)


def below(enrolment) -> bool:
    return Enrolment.objects.below_threshold().filter(pk=enrolment.pk).exists()


def test_falling_below_the_threshold_flags_and_reminds_the_case_manager_once(
    enrolment_in, case_manager, django_capture_on_commit_callbacks
):
    enrolment = enrolment_in(E.ENROLLED)  # threshold 75%
    for status in [SessionStatus.ATTENDED] * 3 + [SessionStatus.MISSED]:
        record(enrolment, case_manager, status, days_ago=0)
    enrolment.refresh_from_db()
    assert enrolment.attendance_share == 75
    assert not enrolment.is_below_threshold and not below(enrolment)
    assert not Reminder.objects.filter(kind=ReminderKind.ATTENDANCE_BELOW_THRESHOLD).exists()

    record(enrolment, case_manager, SessionStatus.MISSED, days_ago=0)  # 3 of 5: 60%
    enrolment.refresh_from_db()
    assert enrolment.is_below_threshold and below(enrolment)
    reminder = Reminder.objects.get(kind=ReminderKind.ATTENDANCE_BELOW_THRESHOLD)
    assert reminder.recipient_user == case_manager and reminder.patient == enrolment.patient
    assert reminder.about == enrolment

    record(enrolment, case_manager, SessionStatus.MISSED, days_ago=0)  # still below: no more
    assert Reminder.objects.filter(kind=ReminderKind.ATTENDANCE_BELOW_THRESHOLD).count() == 1

    for _ in range(6):
        record(enrolment, case_manager, SessionStatus.ATTENDED, days_ago=0)  # 9 of 12: 75%
    record(enrolment, case_manager, SessionStatus.MISSED, days_ago=0)  # 9 of 13: below again
    assert Reminder.objects.filter(kind=ReminderKind.ATTENDANCE_BELOW_THRESHOLD).count() == 2

    disenrolled = enrolment_transition(
        enrolment=enrolment, by=case_manager, target=E.DISENROLLED, reason="Moved away"
    )
    assert not disenrolled.is_below_threshold and not below(disenrolled)
    assert not Reminder.objects.pending().about(enrolment).exists()
    assert Reminder.objects.filter(state=ReminderState.CANCELLED).count() == 2


def test_attendance_is_recorded_only_while_enrolled(enrolment_in, case_manager):
    with pytest.raises(ValidationError):
        record(enrolment_in(E.REFERRED), case_manager, SessionStatus.ATTENDED)
    with pytest.raises(ValidationError):
        record(enrolment_in(E.ENROLLED), case_manager, SessionStatus.ATTENDED, days_ago=-1)
