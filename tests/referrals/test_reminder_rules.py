"""Reminders a referral creates, moves and cancels (issue 5): the coordinator's response and
outcome deadlines with their escalation, and the patient's appointment reminder (consent,
language, quiet hours, no clinical detail). Through the real moves, on a frozen clock."""

from __future__ import annotations

import datetime
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from referrals import services
from referrals.models import OutcomeCode, ReferralStatus, ServiceCategory
from referrals.transitions import referral_move
from reminders.delivery import reminders_send_batch
from reminders.dispatch import reminders_claim
from reminders.models import Reminder, ReminderChannel, ReminderKind, ReminderState
from tests.referrals.factories import (
    OrganizationFactory,
    ReferralFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db
K = ReminderKind
S = ReferralStatus
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# Monday 2 March 2026, 10:00 in New York.
NOW = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
MARKER = "ZZ-CLINICAL-MARKER-7731"


def about(referral, **filters):
    return Reminder.objects.about(referral).filter(**filters)


def pending(referral):
    """The coordinator's and case manager's pending reminders (the patient's: APPOINTMENT)."""
    rows = about(referral).pending().filter(recipient_user__isnull=False)
    return {(r.kind, r.recipient_user_id, r.send_at) for r in rows}


def move(referral, to, **extra):
    return referral_move(
        referral=referral,
        to=to,
        by=referral.referred_by,
        expected_version=referral.version,
        reason="Because" if to in (S.DECLINED, S.CANCELLED, S.NO_SHOW) else "",
        **extra,
    ).referral


@pytest.fixture
def consenting(patient):
    patient.consent_email = True
    patient.consent_sms = True
    patient.time_zone = "America/New_York"
    patient.save()
    return patient


def sent(patient, coordinator, **kwargs):
    return ReferralFactory(patient=patient, referred_by=coordinator, sent=True, **kwargs)


@time_machine.travel(NOW, tick=False)
def test_a_sent_referral_reminds_the_coordinator_at_its_response_deadline(
    patient, coordinator, case_manager
):
    referral = sent(patient, coordinator)
    due = NOW + 7 * DAY  # routine
    assert referral.response_due_at == due
    assert pending(referral) == {
        (K.REFERRAL_RESPONSE_OVERDUE, coordinator.pk, due),
        (K.ESCALATION, case_manager.pk, due + DAY),
    }
    assert {r.context["title"] for r in about(referral)} == {f"Referral #{referral.pk}"}
    # Received is not an answer (models.AWAITING_RESPONSE): nothing moves, nothing is new.
    before = list(about(referral).values_list("pk", "send_at", "state"))
    referral = move(referral, S.RECEIVED)
    assert list(about(referral).values_list("pk", "send_at", "state")) == before


@pytest.mark.parametrize("answer", [S.ACCEPTED, S.DECLINED, S.CANCELLED])
@time_machine.travel(NOW, tick=False)
def test_the_services_answer_or_cancelling_cancels_the_response_reminders(
    patient, coordinator, answer
):
    referral = sent(patient, coordinator)
    move(referral, answer)
    assert pending(referral) == set()
    assert set(about(referral).values_list("state", flat=True)) == {ReminderState.CANCELLED}


@time_machine.travel(NOW, tick=False)
def test_scheduled_reminds_the_patient_and_awaits_the_outcome(
    consenting, coordinator, case_manager
):
    referral = ReferralFactory(patient=consenting, referred_by=coordinator, accepted=True)
    appointment = datetime.datetime(2026, 3, 10, 14, 0, tzinfo=NEW_YORK)
    referral = move(referral, S.SCHEDULED, appointment_at=appointment)
    outcome_due = appointment + 2 * DAY  # REFERRAL_OUTCOME_GRACE
    assert pending(referral) == {
        (K.REFERRAL_OUTCOME_OVERDUE, coordinator.pk, outcome_due),
        (K.ESCALATION, case_manager.pk, outcome_due + DAY),
    }
    to_patient = about(referral, kind=K.APPOINTMENT).order_by("channel")
    assert [(r.channel, r.recipient_patient, r.send_at) for r in to_patient] == [
        (ReminderChannel.EMAIL, consenting, appointment - DAY),
        (ReminderChannel.SMS, consenting, appointment - DAY),
    ]
    # The same move replayed through the rule: nothing new.
    from referrals.reminder_rules import referral_reminders_sync

    count = Reminder.objects.count()
    referral_reminders_sync(referral)
    assert Reminder.objects.count() == count


@time_machine.travel(NOW, tick=False)
def test_no_consent_no_patient_reminder_but_the_coordinators_stand(patient, coordinator):
    patient.consent_email = False
    patient.consent_sms = True
    patient.save()
    referral = ReferralFactory(patient=patient, referred_by=coordinator, accepted=True)
    move(referral, S.SCHEDULED, appointment_at=NOW + 5 * DAY)
    assert list(about(referral, kind=K.APPOINTMENT).values_list("channel", flat=True)) == [
        ReminderChannel.SMS
    ]
    patient.consent_sms = False
    patient.save()
    other = ReferralFactory(patient=patient, referred_by=coordinator, accepted=True)
    move(other, S.SCHEDULED, appointment_at=NOW + 5 * DAY)
    assert not about(other, kind=K.APPOINTMENT).exists()
    assert about(other, kind=K.REFERRAL_OUTCOME_OVERDUE).exists()


@time_machine.travel(NOW, tick=False)
def test_the_appointment_reminder_keeps_out_of_quiet_hours(consenting, coordinator):
    referral = ReferralFactory(patient=consenting, referred_by=coordinator, accepted=True)
    # 07:00 on Thursday: the day before at 07:00 is in the quiet hours (20:00-08:00).
    appointment = datetime.datetime(2026, 3, 5, 7, 0, tzinfo=NEW_YORK)
    move(referral, S.SCHEDULED, appointment_at=appointment)
    assert {r.send_at for r in about(referral, kind=K.APPOINTMENT)} == {
        datetime.datetime(2026, 3, 4, 8, 0, tzinfo=NEW_YORK)
    }


@time_machine.travel(NOW, tick=False)
def test_no_show_cancels_and_a_new_time_reschedules(consenting, coordinator):
    referral = ReferralFactory(patient=consenting, referred_by=coordinator, accepted=True)
    first = datetime.datetime(2026, 3, 10, 14, 0, tzinfo=NEW_YORK)
    referral = move(referral, S.SCHEDULED, appointment_at=first)
    first_rows = set(about(referral).values_list("pk", flat=True))
    referral = move(referral, S.NO_SHOW)
    assert pending(referral) == set()
    assert not about(referral).pending().exists()  # the patient's too

    second = datetime.datetime(2026, 3, 17, 11, 0, tzinfo=NEW_YORK)
    referral = move(referral, S.SCHEDULED, appointment_at=second)
    assert {r.send_at for r in about(referral, kind=K.APPOINTMENT).pending()} == {second - DAY}
    assert (K.REFERRAL_OUTCOME_OVERDUE, coordinator.pk, second + 2 * DAY) in pending(referral)
    assert set(Reminder.objects.filter(pk__in=first_rows).values_list("state", flat=True)) == {
        ReminderState.CANCELLED
    }


@pytest.mark.parametrize("end", [S.OUTCOME_RECORDED, S.CANCELLED])
@time_machine.travel(NOW, tick=False)
def test_the_outcome_or_cancelling_ends_every_reminder(consenting, coordinator, end):
    referral = ReferralFactory(patient=consenting, referred_by=coordinator, accepted=True)
    referral = move(referral, S.SCHEDULED, appointment_at=NOW + 3 * DAY)
    referral = move(referral, end, outcome_code=OutcomeCode.GOT_HELP)
    assert not about(referral).pending().exists()
    if end == S.OUTCOME_RECORDED:
        move(referral, S.CLOSED)
        assert not about(referral).pending().exists()


@time_machine.travel(NOW, tick=False)
def test_a_re_routed_referral_cancels_and_the_new_one_starts_clean(patient, coordinator):
    referral = ReferralFactory(patient=patient, referred_by=coordinator, declined=True)
    new = services.referral_reroute(
        referral=referral,
        by=coordinator,
        expected_version=referral.version,
        reason="No capacity",
        data={"service": ServiceFactory(), "reason": "Same need", "priority": "routine"},
    )
    assert not about(referral).pending().exists()
    assert not about(new).exists()  # a draft has no deadline yet


def speaking(patient, language: str, settings, tmp_path) -> None:
    """The patient reads ``language``; messages go out now, texts to files under tmp_path."""
    patient.preferred_language = language
    patient.save()
    settings.REMINDERS_QUIET_HOURS = "00:00-00:00"  # deliver now, whatever the hour
    settings.REMINDERS_SMS_BACKEND = "reminders.sms.FileSmsBackend"
    settings.REMINDERS_SMS_FILE_PATH = str(tmp_path / "sms")


def texts_sent(settings) -> list[str]:
    return [p.read_text() for p in Path(settings.REMINDERS_SMS_FILE_PATH).rglob("*") if p.is_file()]


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_recipient_outside_the_directory_is_not_named_to_the_patient(
    consenting, coordinator, settings, tmp_path, language
):
    """Free text ("Dr. Lee, dentist") may say what the appointment is for."""
    speaking(consenting, language, settings, tmp_path)
    referral = ReferralFactory(
        patient=consenting,
        referred_by=coordinator,
        service=None,
        recipient_name=f"Dr. Lee, {MARKER} psychiatry",
        sent=True,
    )
    move(referral, S.ACCEPTED)
    move(referral.__class__.objects.get(pk=referral.pk), S.SCHEDULED,
         appointment_at=timezone.now() + datetime.timedelta(hours=20))  # fmt: skip
    reminders_send_batch(ids=reminders_claim(limit=50))
    [email] = [m for m in mail.outbox if m.to == [consenting.email]]
    [text] = texts_sent(settings)
    for message in (email.body, text):
        assert MARKER not in message and "Lee" not in message and "psychiatry" not in message
    assert ("cita el" if language == "es" else "appointment on") in email.body


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_patients_message_has_no_clinical_detail_and_speaks_their_language(
    consenting, coordinator, settings, tmp_path, language
):
    """Plant a marker in every clinical field; deliver the reminder; it never appears."""
    speaking(consenting, language, settings, tmp_path)
    service = ServiceFactory(
        organization=OrganizationFactory(name="Riverside Community Center"),
        name=f"{MARKER} clinic",
        description=MARKER,
        eligibility_notes=MARKER,
        category=ServiceCategory.SUBSTANCE_USE,
    )
    referral = ReferralFactory(
        patient=consenting,
        referred_by=coordinator,
        service=service,
        reason=f"Reason: {MARKER}",
        accepted=True,
    )
    services.contact_log_record(
        referral=referral,
        by=coordinator,
        channel="phone",
        direction="outbound",
        note=MARKER,
        response=S.SCHEDULED,
        appointment_at=timezone.now() + datetime.timedelta(hours=20),
    )
    reminders_send_batch(ids=reminders_claim(limit=50))
    to_patient = [m for m in mail.outbox if m.to == [consenting.email]]
    [email] = to_patient
    texts = texts_sent(settings)
    assert len(texts) == 1
    everything = "\n".join([email.subject, email.body, *texts])
    assert "Riverside Community Center" in everything
    for clinical in (MARKER, "Substance", "substance", "Reason"):
        assert clinical not in everything
    greeting = "Recordatorio de cita" if language == "es" else "Appointment reminder"
    assert email.subject == greeting
    assert set(about(referral, kind=K.APPOINTMENT).values_list("state", flat=True)) == {
        ReminderState.SENT
    }


@time_machine.travel(NOW, tick=False)
def test_a_patient_who_is_no_longer_open_gets_no_appointment_reminder(consenting, coordinator):
    """For patients.services.patient_set_status: a discharge re-syncs the open referrals."""
    from patients.models import Patient, PatientStatus
    from referrals.reminder_rules import patient_reminders_sync

    referral = ReferralFactory(patient=consenting, referred_by=coordinator, accepted=True)
    move(referral, S.SCHEDULED, appointment_at=NOW + 5 * DAY)
    assert about(referral, kind=K.APPOINTMENT).pending().count() == 2
    Patient.objects.filter(pk=consenting.pk).update(status=PatientStatus.DECEASED)
    patient_reminders_sync(consenting.pk)
    assert not about(referral, kind=K.APPOINTMENT).pending().exists()
