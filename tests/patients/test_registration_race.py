"""Two "new patient" posts at once: the second gets the form's own message for a taken MRN
(not a 500), nothing half-written, and no log line quotes the MRN."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from patients import services
from patients.models import Patient, PatientEvent
from tests.patients.test_services import registration

pytestmark = pytest.mark.django_db


def test_an_mrn_taken_between_the_check_and_the_insert_reads_as_the_forms_error(
    team_a, coordinator, monkeypatch
):
    data = registration(team_a, coordinator, mrn="MRN-RACE-77")
    first = services.patient_register(by=coordinator, data=data, confirmed_not_duplicate=True)
    # The other post's check ran before the first insert: its full_clean found no MRN.
    real_full_clean = Patient.full_clean
    monkeypatch.setattr(
        Patient, "full_clean", lambda self, **kw: real_full_clean(self, validate_unique=False)
    )
    with pytest.raises(ValidationError) as refused:
        services.patient_register(by=coordinator, data=data, confirmed_not_duplicate=True)
    assert "mrn" in refused.value.message_dict
    assert list(Patient.objects.values_list("pk", flat=True)) == [first.pk]
    assert PatientEvent.objects.filter(patient=first).count() == 1


def test_a_logged_database_error_keeps_its_traceback_not_its_message():
    from carehub.logging import WithholdDatabaseErrorMessages

    message = "duplicate key: Key (mrn)=(" + "MRN-SECRET-1" + ") already exists."
    try:
        raise IntegrityError(message)
    except IntegrityError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "Internal Server Error", (), None
        )
        import sys

        record.exc_info = sys.exc_info()
    assert WithholdDatabaseErrorMessages().filter(record)
    text = logging.Formatter().format(record)
    assert "MRN-SECRET-1" not in text
    assert "IntegrityError" in text and "Traceback" in text
