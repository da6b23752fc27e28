"""Guardrails for every message to a patient, and the appointment reminder rule.

Before any patient message is scheduled or sent, ``patient_message_check`` decides:
consent for the channel (Patient.consent_email / consent_sms) and an address to send to,
the language (the patient's preferred one when a template exists, else the clinic's), and
the time (outside quiet hours in the patient's time zone). Patient templates take plain
values only (a time and a place name): no diagnosis, service category, notes or names, so
nothing clinical can reach a lock screen or a shared inbox.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from reminders.models import ReminderChannel

# Languages with patient templates (templates/reminders/patient/*.<lang>.txt).
PATIENT_TEMPLATE_LANGUAGES = ("en", "es")

NO_CONSENT = "no_consent"
NO_ADDRESS = "no_address"
TOO_LATE = "too_late"
REFUSAL_LABELS = {
    NO_CONSENT: _("The patient has not consented to this channel."),
    NO_ADDRESS: _("The patient has no address for this channel."),
    TOO_LATE: _("Too late: it could not be sent before the appointment."),
}


@dataclass(frozen=True)
class PatientMessageCheck:
    allowed: bool
    refusal: str  # NO_CONSENT, NO_ADDRESS or "" when allowed
    language: str
    send_at: datetime.datetime  # the asked time, moved to the end of quiet hours if inside


def patient_time_zone(patient) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(patient.time_zone or settings.TIME_ZONE)


def quiet_hours() -> tuple[datetime.time, datetime.time]:
    start, end = settings.REMINDERS_QUIET_HOURS.split("-")
    return datetime.time.fromisoformat(start.strip()), datetime.time.fromisoformat(end.strip())


def outside_quiet_hours(when: datetime.datetime, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """``when`` itself, or the end of the quiet hours it falls in (local time of ``tz``)."""
    start, end = quiet_hours()
    if start == end:
        return when
    local = when.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start > end:  # spans midnight, e.g. 20:00-08:00
        if clock >= start:
            day = local.date() + datetime.timedelta(days=1)
        elif clock < end:
            day = local.date()
        else:
            return when
    elif start <= clock < end:
        day = local.date()
    else:
        return when
    return datetime.datetime.combine(day, end, tzinfo=tz).astimezone(datetime.UTC)


def patient_language(patient) -> str:
    language = patient.preferred_language
    return language if language in PATIENT_TEMPLATE_LANGUAGES else settings.LANGUAGE_CODE


def patient_address(patient, channel: str) -> str:
    if channel == ReminderChannel.EMAIL:
        return patient.email or ""
    if channel == ReminderChannel.SMS:
        return str(patient.phone or "")
    return ""


def patient_message_check(*, patient, channel: str, send_at: datetime.datetime):
    """The guardrails, used before any patient message is scheduled and again when sent."""
    consented = {
        ReminderChannel.EMAIL: patient.consent_email,
        ReminderChannel.SMS: patient.consent_sms,
    }.get(channel, False)
    refusal = ""
    if not consented:
        refusal = NO_CONSENT
    elif not patient_address(patient, channel):
        refusal = NO_ADDRESS
    return PatientMessageCheck(
        allowed=not refusal,
        refusal=refusal,
        language=patient_language(patient),
        send_at=outside_quiet_hours(send_at, patient_time_zone(patient)),
    )


@dataclass(frozen=True)
class PatientMessage:
    subject: str
    body: str


def appointment_message(
    *, patient, appointment_at: datetime.datetime, place_name: str, channel: str
) -> PatientMessage:
    """The appointment reminder in the patient's language and time zone. Takes the patient
    for language and zone only; the text holds the time and the place name, nothing else."""
    language = patient_language(patient)
    values = {"appointment_at": appointment_at, "place_name": place_name}
    name = "sms" if channel == ReminderChannel.SMS else "email"
    with translation.override(language), timezone.override(patient_time_zone(patient)):
        text = render_to_string(f"reminders/patient/appointment_{name}.{language}.txt", values)
    subject, _newline, body = text.strip().partition("\n")
    return PatientMessage(subject=subject.strip(), body=body.strip() + "\n")
