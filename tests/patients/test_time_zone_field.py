"""The time zone of a patient or a user is picked from the list, not typed (issue 25,
item 17): the clinic's zone by default, every IANA zone by name, anything else refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from patients.forms import PatientForm

pytestmark = pytest.mark.django_db


def test_the_patient_form_offers_the_zones_and_refuses_others(coordinator, patient):
    form = PatientForm(instance=patient, user=coordinator)
    html = str(form["time_zone"])
    assert html.startswith("<select") and '<option value="America/New_York"' in html
    assert "The clinic&#x27;s time zone" in html
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(time_zone="Mars/Olympus_Mons", version=patient.version)
    bound = PatientForm(data, instance=patient, user=coordinator)
    assert not bound.is_valid() and "time_zone" in bound.errors


def test_the_user_admin_offers_the_zones(admin_client, coordinator):
    page = admin_client.get(reverse("admin:accounts_user_change", args=[coordinator.pk]))
    assert page.status_code == 200
    assert '<select name="time_zone"' in page.content.decode()
