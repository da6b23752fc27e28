"""Django admin keeps to the user's care teams (patients.admin_scope): every admin URL of
every registered model, walked by a staff user of another team who holds every model
permission but is not an admin. Records of team A's patient are not listed, not opened
(change, delete, history: 404), not changed by a POST, not reached by an action, and not
accepted in a foreign-key field; an admin still sees them all."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import NoReverseMatch, reverse

from audit.history import patient_id_at
from patients.admin_scope import patient_paths_of
from patients.models import Patient, RelatedPerson
from tests.test_access_matrix import records  # noqa: F401  (the fixture: one of everything)
from tests.test_admin_edits import change_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_outsider(coordinator_b):
    """Team B's coordinator with is_staff ticked and every permission: only scope stops them."""
    coordinator_b.is_staff = True
    coordinator_b.save(update_fields=["is_staff"])
    coordinator_b.user_permissions.set(Permission.objects.all())
    coordinator_b.refresh_from_db()
    client = Client()
    client.force_login(coordinator_b)
    return client


def patient_records(model_admin) -> list:
    """The rows of this admin's model that belong to a patient (team A's, in ``records``)."""
    paths = patient_paths_of(model_admin.model, getattr(model_admin, "patient_paths", ()))
    rows = model_admin.model._default_manager.all()
    return [row for row in rows if paths and any(patient_id_at(row, path) for path in paths)]


def admin_url(model, view: str, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def test_every_admin_showing_patient_data_is_scoped(records, staff_outsider):  # noqa: F811
    walked = 0
    for model, model_admin in admin_site._registry.items():
        rows = patient_records(model_admin)
        listing = staff_outsider.get(admin_url(model, "changelist"))
        assert listing.status_code == 200, model
        listed = {row.pk for row in listing.context["cl"].result_list}
        assert listed.isdisjoint(row.pk for row in rows), model
        for row in rows:
            for view in ("change", "delete", "history"):
                url = admin_url(model, view, row.pk)
                if url is not None:
                    response = staff_outsider.get(url)
                    assert response.status_code in (403, 404), url
                    walked += 1
    assert walked > 50  # every patient record of the fixture, each of its pages


def test_a_post_to_another_teams_record_saves_nothing(
    records,  # noqa: F811
    staff_outsider,
    admin_user,
):
    admin = Client()
    admin.force_login(admin_user)
    patient = records["patient"]
    url = admin_url(Patient, "change", patient.pk)
    data = change_form(admin, url)
    response = staff_outsider.post(url, {**data, "city": "Nowhere"})
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.city != "Nowhere"

    delete = staff_outsider.post(admin_url(Patient, "delete", patient.pk), {"post": "yes"})
    assert delete.status_code == 404
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_actions_reach_only_the_users_teams(records, staff_outsider):  # noqa: F811
    person = records["person"]
    response = staff_outsider.post(
        admin_url(RelatedPerson, "changelist"),
        {"action": "delete_selected", "_selected_action": [person.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert RelatedPerson.objects.filter(pk=person.pk).exists()


def test_foreign_key_choices_are_the_users_teams(records, staff_outsider):  # noqa: F811
    """A contact added for another team's patient (raw id) is a form error, nothing saved."""
    before = RelatedPerson.objects.count()
    response = staff_outsider.post(
        admin_url(RelatedPerson, "add"),
        {"patient": records["patient"].pk, "name": "Spy", "relationship": "other"},
    )
    assert response.status_code == 200
    assert "patient" in response.context["adminform"].form.errors
    assert RelatedPerson.objects.count() == before


def test_an_admin_sees_every_team(records, admin_user):  # noqa: F811
    client = Client()
    client.force_login(admin_user)
    patient = records["patient"]
    assert client.get(admin_url(Patient, "change", patient.pk)).status_code == 200
    assert client.get(admin_url(Patient, "history", patient.pk)).status_code == 200
