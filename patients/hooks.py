"""Work hanging off a patient that must follow when the patient changes (status, care
team staff, consents, language): each app registers one function in its
``AppConfig.ready``; the patient services call them inside their own transaction.

An explicit list rather than signals, so the call sites say what happens."""

from __future__ import annotations

from collections.abc import Callable, Iterable

PatientSync = Callable[[int], None]
_syncs: list[PatientSync] = []

# Patient fields whose change affects reminders and other dependent work.
WATCHED_FIELDS = frozenset(
    {
        "status", "care_team", "primary_coordinator", "case_manager", "consent_email",
        "consent_sms", "consent_phone", "consent_mail", "preferred_language", "time_zone",
        "email", "phone",
    }
)  # fmt: skip


def register_patient_sync(function: PatientSync) -> PatientSync:
    if function not in _syncs:
        _syncs.append(function)
    return function


def patients_changed(patient_ids: Iterable[int]) -> None:
    ids = list(patient_ids)
    for function in _syncs:
        for patient_id in ids:
            function(patient_id)
