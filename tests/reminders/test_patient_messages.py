"""Patient-facing guardrails: consent per channel, language, quiet hours in the patient's
time zone, and no clinical detail in the text. The appointment rule takes plain values."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail

from patients.models import RelatedPerson
from reminders import services
from reminders.delivery import reminders_send_batch
from reminders.dispatch import reminders_claim
from reminders.models import Reminder, ReminderChannel, ReminderKind
from reminders.patient_messages import (
    NO_CONSENT,
    appointment_message,
    outside_quiet_hours,
    patient_message_check,
)

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
MARKER = "ZZ-CLINICAL-MARKER-7731"
# Thursday 5 March 2026, 14:00 in New York.
APPOINTMENT = datetime.datetime(2026, 3, 5, 14, 0, tzinfo=NEW_YORK)
NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def consenting(patient):
    patient.consent_email = True
    patient.consent_sms = True
    patient.time_zone = "America/New_York"
    patient.save()
    return patient


def test_no_consent_no_message(patient):
    check = patient_message_check(patient=patient, channel=ReminderChannel.EMAIL, send_at=NOW)
    assert not check.allowed and check.refusal == NO_CONSENT
    assert (
        services.appointment_reminders_schedule(
            patient=patient, appointment_at=APPOINTMENT, place_name="North Clinic", now=NOW
        )
        == []
    )
    assert not Reminder.objects.exists()


def test_consent_is_per_channel(consenting):
    consenting.consent_sms = False
    consenting.save()
    created = services.appointment_reminders_schedule(
        patient=consenting, appointment_at=APPOINTMENT, place_name="North Clinic", now=NOW
    )
    assert [r.channel for r in created] == [ReminderChannel.EMAIL]


def test_appointment_reminder_the_day_before_idempotent(consenting, settings):
    kwargs = {
        "patient": consenting,
        "appointment_at": APPOINTMENT,
        "place_name": "North Clinic",
        "now": NOW,
    }
    created = services.appointment_reminders_schedule(**kwargs)
    assert services.appointment_reminders_schedule(**kwargs) == created
    assert {r.channel for r in created} == {ReminderChannel.EMAIL, ReminderChannel.SMS}
    for reminder in created:
        assert reminder.kind == ReminderKind.APPOINTMENT
        assert reminder.recipient_patient == consenting and reminder.patient == consenting
        assert reminder.send_at == APPOINTMENT - settings.REMINDERS_APPOINTMENT_LEAD
        assert reminder.context == {
            "appointment_at": APPOINTMENT.isoformat(),
            "place_name": "North Clinic",
        }


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 3, 4, 21, 30), (2026, 3, 5, 8, 0)),  # evening: next morning
        ((2026, 3, 5, 6, 0), (2026, 3, 5, 8, 0)),  # early morning: the same morning
        ((2026, 3, 5, 8, 0), (2026, 3, 5, 8, 0)),  # the end of quiet hours is fine
        ((2026, 3, 5, 19, 59), (2026, 3, 5, 19, 59)),  # before they start
    ],
)
def test_quiet_hours_in_the_patients_zone(local, expected, settings):
    settings.REMINDERS_QUIET_HOURS = "20:00-08:00"
    when = datetime.datetime(*local, tzinfo=NEW_YORK)
    assert outside_quiet_hours(when, NEW_YORK) == datetime.datetime(*expected, tzinfo=NEW_YORK)


def test_appointment_reminder_due_in_quiet_hours_moves_to_their_end(consenting, settings):
    settings.REMINDERS_QUIET_HOURS = "20:00-08:00"
    early = datetime.datetime(2026, 3, 5, 7, 0, tzinfo=NEW_YORK)  # reminder due 7:00 the day before
    [email, _sms] = services.appointment_reminders_schedule(
        patient=consenting, appointment_at=early, place_name="North Clinic", now=NOW
    )
    assert email.send_at == datetime.datetime(2026, 3, 4, 8, 0, tzinfo=NEW_YORK)


def test_quiet_hours_use_the_clinic_zone_when_the_patient_has_none(patient, settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    patient.consent_email = True
    patient.time_zone = ""
    patient.save()
    # 06:00 UTC is 22:00 the evening before in Los Angeles: quiet.
    check = patient_message_check(
        patient=patient,
        channel=ReminderChannel.EMAIL,
        send_at=datetime.datetime(2026, 3, 5, 6, 0, tzinfo=datetime.UTC),
    )
    los_angeles = zoneinfo.ZoneInfo("America/Los_Angeles")
    assert check.send_at == datetime.datetime(2026, 3, 5, 8, 0, tzinfo=los_angeles)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Appointment reminder"),
        ("es", "Recordatorio de cita"),
        ("vi", "Appointment reminder"),
    ],
)
def test_language_follows_the_patient(consenting, language, expected):
    consenting.preferred_language = language
    message = appointment_message(
        patient=consenting,
        appointment_at=APPOINTMENT,
        place_name="North Clinic",
        channel=ReminderChannel.EMAIL,
    )
    assert message.subject == expected
    assert "North Clinic" in message.body


def test_spanish_dates_and_local_time(consenting):
    consenting.preferred_language = "es"
    message = appointment_message(
        patient=consenting,
        appointment_at=APPOINTMENT.astimezone(datetime.UTC),
        place_name="Clínica Norte",
        channel=ReminderChannel.EMAIL,
    )
    assert "jueves 5 de marzo de 2026" in message.body
    assert "14:00" in message.body  # New York time, not UTC (19:00)


@time_machine.travel(datetime.datetime(2026, 3, 4, 18, 0, tzinfo=datetime.UTC), tick=True)
def test_no_clinical_detail_reaches_the_patient(consenting, settings, tmp_path):
    """A marker planted in every clinical-ish field never appears in what is sent."""
    settings.REMINDERS_QUIET_HOURS = "00:00-00:00"
    settings.REMINDERS_SMS_BACKEND = "reminders.sms.FileSmsBackend"
    settings.REMINDERS_SMS_FILE_PATH = str(tmp_path)
    consenting.given_name, consenting.family_name = "Quillonia", "Zanderwick"
    consenting.status_reason = MARKER
    consenting.insurance_payer = MARKER
    consenting.insurance_member_id = MARKER
    consenting.save()
    RelatedPerson.objects.create(
        patient=consenting, name="Kin", relationship="spouse", notes=MARKER
    )
    appointment = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(hours=1)
    # The rule skips appointments already past; schedule directly as the referral would.
    for channel in (ReminderChannel.EMAIL, ReminderChannel.SMS):
        services.reminder_schedule(
            kind=ReminderKind.APPOINTMENT,
            recipient=consenting,
            about=consenting,
            send_at=appointment - datetime.timedelta(hours=1),
            channel=channel,
            key=f"appointment-test:{channel}",
            context={"appointment_at": appointment.isoformat(), "place_name": "North Clinic"},
        )
    Reminder.objects.update(send_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    reminders_send_batch(ids=reminders_claim(limit=10))
    [email] = mail.outbox
    sent_text = email.message().as_string()
    sms_text = (tmp_path / "sms.jsonl").read_text()
    for text in (sent_text, sms_text):
        assert MARKER not in text
        assert consenting.family_name not in text and consenting.mrn not in text
        assert "North Clinic" in text
