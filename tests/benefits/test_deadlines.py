"""Coverage expiry, authorisation and benefit deadlines with a frozen clock and their
reminders, the application state machine and the document checklist."""

from __future__ import annotations

import datetime
import itertools
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from benefits import services
from benefits.deadlines import at_nine
from benefits.models import ApplicationStatus, ApplicationTransition, DocumentStatus
from benefits.selectors import patient_benefits
from benefits.transitions import APPLICATION, InvalidTransition, application_transition
from reminders.models import Reminder, ReminderKind, ReminderState
from tests.benefits.factories import (
    PATHS,
    BenefitApplicationFactory,
    CoverageFactory,
    PriorAuthorisationFactory,
)

pytestmark = pytest.mark.django_db

A = ApplicationStatus
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# Frozen at 10:00 in the clinic's zone on Monday 2 March 2026.
NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=NEW_YORK)
TODAY = datetime.date(2026, 3, 2)


def day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


@pytest.fixture(autouse=True)
def clinic_clock(settings):
    settings.TIME_ZONE = "America/New_York"
    with time_machine.travel(NOW, tick=False):
        yield


def pending(obj, kind):
    return list(Reminder.objects.pending().about(obj).filter(kind=kind))


def test_coverage_is_flagged_after_its_last_day(patient):
    coverage = CoverageFactory(patient=patient, effective_to=day(-1))
    current = CoverageFactory(patient=patient, effective_to=day(0))
    open_ended = CoverageFactory(patient=patient, effective_to=None)
    assert coverage.is_expired and not current.is_expired and not open_ended.is_expired
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        assert current.is_expired


def test_an_authorisation_reminds_its_case_manager_two_weeks_before_it_ends(
    patient, case_manager, settings
):
    settings.BENEFITS_AUTHORISATION_LEAD_DAYS = 14
    authorisation = services.authorisation_create(
        patient=patient,
        by=case_manager,
        data={
            "service": "Home health aide",
            "payer": "MassHealth",
            "reference_number": "PA-1",
            "units_approved": 20,
            "units_used": 0,
            "valid_from": day(-30),
            "valid_to": day(30),
        },
    )
    [reminder] = pending(authorisation, ReminderKind.AUTHORISATION_EXPIRING)
    assert reminder.recipient_user == patient.case_manager == case_manager
    assert reminder.send_at == at_nine(day(16)) and reminder.due_at == at_nine(day(30))
    assert reminder.patient == patient

    # Extended: the reminder follows the new end date; the old one is cancelled.
    updated = services.authorisation_update(
        authorisation=authorisation,
        by=case_manager,
        data={"valid_to": day(60), "units_used": 4},
        expected_version=authorisation.version,
    )
    [moved] = pending(updated, ReminderKind.AUTHORISATION_EXPIRING)
    assert moved.send_at == at_nine(day(46))
    assert Reminder.objects.get(pk=reminder.pk).state == ReminderState.CANCELLED

    # An edit that leaves the end date alone leaves the reminder alone.
    services.authorisation_update(
        authorisation=updated,
        by=case_manager,
        data={"units_used": 6},
        expected_version=updated.version,
    )
    assert pending(updated, ReminderKind.AUTHORISATION_EXPIRING) == [moved]


def test_an_edit_from_another_time_zone_keeps_the_deadline_reminder(patient, case_manager):
    """The web pages activate the user's zone; the API the clinic's. Either way nine is
    the clinic's nine, and an edit that leaves the date alone leaves the reminder."""
    application = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state=A.SUBMITTED
    )
    [reminder] = pending(application, ReminderKind.BENEFIT_DECISION_DUE)
    with timezone.override(zoneinfo.ZoneInfo("America/Los_Angeles")):
        services.application_update(
            application=application,
            by=case_manager,
            data={"notes": "Called the office"},
            expected_version=application.version,
        )
    assert pending(application, ReminderKind.BENEFIT_DECISION_DUE) == [reminder]
    assert reminder.due_at == datetime.datetime.combine(
        application.decision_due_on, datetime.time(9), tzinfo=NEW_YORK
    )


def test_a_reminder_cancelled_for_a_new_time_is_replaced_not_lost(patient, case_manager, settings):
    application = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state=A.SUBMITTED
    )
    [before] = pending(application, ReminderKind.BENEFIT_DECISION_DUE)
    settings.TIME_ZONE = "America/Chicago"  # the clinic's zone corrected; nothing else
    from benefits.deadlines import application_reminders_sync

    application_reminders_sync(application)
    [after] = pending(application, ReminderKind.BENEFIT_DECISION_DUE)
    assert after.pk != before.pk and after.due_at == before.due_at + datetime.timedelta(hours=1)


def test_an_authorisation_ending_within_the_lead_time_reminds_now(patient, case_manager):
    authorisation = services.authorisation_create(
        patient=patient,
        by=case_manager,
        data={
            "service": "Physical therapy",
            "payer": "Tufts",
            "reference_number": "PA-2",
            "units_approved": 6,
            "valid_from": day(-30),
            "valid_to": day(3),
        },
    )
    [reminder] = pending(authorisation, ReminderKind.AUTHORISATION_EXPIRING)
    assert reminder.send_at == NOW


def test_units_used_cannot_exceed_units_approved(patient, case_manager):
    with pytest.raises(ValidationError):
        services.authorisation_create(
            patient=patient,
            by=case_manager,
            data={
                "service": "X",
                "payer": "Y",
                "reference_number": "Z",
                "units_approved": 2,
                "units_used": 3,
                "valid_from": day(0),
                "valid_to": day(1),
            },
        )


def test_decision_renewal_and_appeal_deadlines_raise_reminders_ahead(
    patient, case_manager, settings
):
    settings.BENEFITS_DECISION_DAYS = 45
    settings.BENEFITS_DECISION_LEAD_DAYS = 7
    settings.BENEFITS_APPEAL_DAYS = 90
    settings.BENEFITS_APPEAL_LEAD_DAYS = 14
    settings.BENEFITS_RENEWAL_LEAD_DAYS = 30
    application = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state=A.GATHERING_DOCUMENTS
    )
    assert not Reminder.objects.about(application).exists()

    submitted = application_transition(
        application=application, by=case_manager, target=A.SUBMITTED, on=day(-5)
    )
    assert (submitted.submitted_on, submitted.decision_due_on) == (day(-5), day(40))
    [decision] = pending(submitted, ReminderKind.BENEFIT_DECISION_DUE)
    assert decision.send_at == at_nine(day(33)) and decision.recipient_user == case_manager

    denied = application_transition(
        application=submitted, by=case_manager, target=A.DENIED, reason="Income over the limit"
    )
    assert denied.decision_on == TODAY and denied.appeal_deadline == day(90)
    assert denied.next_deadline()[1] == day(90)
    assert Reminder.objects.get(pk=decision.pk).state == ReminderState.CANCELLED
    [appeal] = pending(denied, ReminderKind.APPEAL_DEADLINE)
    assert appeal.send_at == at_nine(day(76)) and appeal.due_at == at_nine(day(90))

    appealed = application_transition(application=denied, by=case_manager, target=A.APPEAL)
    assert Reminder.objects.get(pk=appeal.pk).state == ReminderState.CANCELLED
    [decision_again] = pending(appealed, ReminderKind.BENEFIT_DECISION_DUE)
    assert decision_again.due_at == at_nine(day(45))

    approved = application_transition(
        application=appealed, by=case_manager, target=A.APPROVED, renewal_due_on=day(200)
    )
    assert approved.appeal_deadline is None and approved.renewal_due_on == day(200)
    assert not pending(approved, ReminderKind.BENEFIT_DECISION_DUE)
    [renewal] = pending(approved, ReminderKind.BENEFIT_RENEWAL_DUE)
    assert renewal.send_at == at_nine(day(170))

    # The renewal date is corrected on the edit page: the reminder moves with it.
    edited = services.application_update(
        application=approved,
        by=case_manager,
        data={"renewal_due_on": day(100)},
        expected_version=approved.version,
    )
    [moved] = pending(edited, ReminderKind.BENEFIT_RENEWAL_DUE)
    assert moved.send_at == at_nine(day(70))
    assert Reminder.objects.get(pk=renewal.pk).state == ReminderState.CANCELLED

    # Starting the renewal is the work the reminder asked for.
    renewing = application_transition(
        application=edited, by=case_manager, target=A.GATHERING_DOCUMENTS
    )
    assert not Reminder.objects.pending().about(renewing).exists()
    assert renewing.submitted_on is None


def test_an_approval_without_a_renewal_date_renews_in_a_year(patient, case_manager, settings):
    settings.BENEFITS_RENEWAL_DAYS = 365
    approved = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state=A.APPROVED
    )
    assert approved.renewal_due_on == day(365)


def test_a_denial_needs_a_reason(patient, case_manager):
    application = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state=A.SUBMITTED
    )
    with pytest.raises(ValidationError):
        application_transition(application=application, by=case_manager, target=A.DENIED)


ALLOWED = {
    (A.NOT_STARTED, A.GATHERING_DOCUMENTS),
    (A.NOT_STARTED, A.SUBMITTED),
    (A.GATHERING_DOCUMENTS, A.SUBMITTED),
    (A.SUBMITTED, A.PENDING_DECISION),
    (A.SUBMITTED, A.APPROVED),
    (A.SUBMITTED, A.DENIED),
    (A.PENDING_DECISION, A.APPROVED),
    (A.PENDING_DECISION, A.DENIED),
    (A.DENIED, A.APPEAL),
    (A.APPEAL, A.APPROVED),
    (A.APPEAL, A.DENIED),
    (A.APPROVED, A.GATHERING_DOCUMENTS),
}


def test_the_application_machine_is_the_one_in_the_table():
    assert {(s, t) for s, ts in APPLICATION.moves.items() for t in ts} == ALLOWED


@pytest.mark.parametrize(("current", "target"), list(itertools.product(A.values, A.values)))
def test_every_application_move_is_allowed_or_refused(patient, case_manager, current, target):
    application = BenefitApplicationFactory(
        patient=patient, case_manager=case_manager, state=current
    )
    assert application.status == current
    assert ApplicationTransition.objects.filter(application=application).count() == (
        len(PATHS[current]) + 1
    )
    if (current, target) in ALLOWED:
        moved = application_transition(
            application=application, by=case_manager, target=target, reason="Because"
        )
        assert moved.status == target
    else:
        with pytest.raises(InvalidTransition):
            application_transition(
                application=application, by=case_manager, target=target, reason="Because"
            )
        application.refresh_from_db()
        assert application.status == current


def test_the_document_checklist(patient, case_manager):
    application = BenefitApplicationFactory(patient=patient, case_manager=case_manager)
    names = list(application.documents.values_list("name", flat=True))
    assert names == services.default_documents(application.program)
    assert "Household expenses (rent, utilities, child care)" in names
    first, second = application.documents.all()[:2]
    services.document_mark(document=first, by=case_manager, received=True, on=day(-2))
    first.refresh_from_db()
    assert (first.status, first.received_on) == (DocumentStatus.RECEIVED, day(-2))
    with pytest.raises(ValidationError):
        services.document_mark(document=second, by=case_manager, received=True, on=day(1))
    extra = services.document_add(application=application, by=case_manager, name="Bank letter")
    assert extra.position == len(names)
    with pytest.raises(ValidationError):
        services.document_add(application=application, by=case_manager, name="Bank letter")
    summary = services.checklist_summary(list(application.documents.all()))
    assert [d.name for d in summary["received"]] == [first.name]
    assert len(summary["missing"]) == len(names) and not summary["complete"]
    for document in application.documents.all():
        services.document_mark(document=document, by=case_manager, received=True)
    assert services.checklist_summary(list(application.documents.all()))["complete"]
    services.document_mark(document=first, by=case_manager, received=False)
    first.refresh_from_db()
    assert (first.status, first.received_on) == (DocumentStatus.MISSING, None)

    [row] = patient_benefits(patient)["applications"]
    assert (row.documents_missing, row.documents_total) == (1, len(names) + 1)


def test_a_custom_checklist(patient, case_manager):
    application = services.application_create(
        patient=patient,
        by=case_manager,
        program="other",
        case_manager=case_manager,
        documents=["Letter from landlord", " ", "Letter from landlord", "Pay stubs"],
    )
    assert list(application.documents.values_list("name", flat=True)) == [
        "Letter from landlord",
        "Pay stubs",
    ]


def test_authorisation_factory_rows(patient):
    authorisation = PriorAuthorisationFactory(patient=patient, units_used=15)
    assert authorisation.units_left == 5


def test_an_appeal_after_the_deadline_needs_the_good_cause(patient, case_manager, settings):
    settings.BENEFITS_APPEAL_DAYS = 30
    denied = application_transition(
        application=BenefitApplicationFactory(
            patient=patient, case_manager=case_manager, state=A.PENDING_DECISION
        ),
        by=case_manager,
        target=A.DENIED,
        reason="Missing pay stubs",
        on=day(-40),
    )
    assert denied.appeal_deadline == day(-10)
    with pytest.raises(ValidationError) as refused:
        application_transition(application=denied, by=case_manager, target=A.APPEAL)
    assert "deadline (2026-02-20) has passed" in str(refused.value.message_dict["reason"])
    unchanged = type(denied).objects.get(pk=denied.pk)
    assert (unchanged.status, unchanged.version) == (A.DENIED, denied.version)
    # On time, no reason is asked; late, the good cause is recorded with the move.
    on_time = application_transition(
        application=denied, by=case_manager, target=A.APPEAL, on=day(-12)
    )
    assert on_time.status == A.APPEAL
    late = BenefitApplicationFactory(patient=patient, case_manager=case_manager, state=A.DENIED)
    late.appeal_deadline = day(-1)
    late.save(update_fields=["appeal_deadline"])
    appealed = application_transition(
        application=late, by=case_manager, target=A.APPEAL, reason="In hospital until Monday"
    )
    assert appealed.status == A.APPEAL
    assert ApplicationTransition.objects.filter(
        application=late, to_status=A.APPEAL, reason="In hospital until Monday"
    ).exists()


def test_the_appeal_reminder_reads_without_clinical_detail(patient, case_manager):
    from reminders.messages import render_reminder

    patient.family_name = "Zanderwick"
    patient.save(update_fields=["family_name"])
    denied = BenefitApplicationFactory(patient=patient, case_manager=case_manager, state=A.DENIED)
    [reminder] = pending(denied, ReminderKind.APPEAL_DEADLINE)
    message = render_reminder(reminder, now=reminder.send_at)
    assert "Appeal deadline approaching" in message.subject
    assert f"Benefit application #{denied.pk}" in message.body
    assert message.link == f"/benefits/applications/{denied.pk}/"
    assert patient.family_name not in message.body and "SNAP" not in message.body
