"""Patient search uses indexes on PostgreSQL: no sequential scan of the patient table.

With sequential scans disabled the planner still picks one when no index can serve the
query, so a Seq Scan on patients_patient in the plan means a missing index."""

import pytest
from django.db import connection

from patients.models import Patient
from patients.selectors import patients_visible_to
from tests.factories import PatientFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.fixture
def patients(team_a):
    PatientFactory.create_batch(30, care_team=team_a)


@pytest.mark.parametrize("term", ["gar", "maria garcia", "T0000007"])
def test_search_by_name_or_mrn_uses_indexes(patients, admin_user, term):
    queryset = patients_visible_to(admin_user).search(term)[:25]
    assert "Seq Scan on patients_patient" not in plan(queryset), plan(queryset)


def test_team_scoped_list_page_uses_an_index(patients, coordinator):
    queryset = patients_visible_to(coordinator).order_by("family_name", "given_name", "id")[:25]
    assert "Seq Scan on patients_patient" not in plan(queryset)


def test_search_finds_by_substring_and_case(team_a, admin_user):
    match = PatientFactory(care_team=team_a, family_name="Fitzgerald")
    PatientFactory(care_team=team_a, family_name="Smith")
    assert list(Patient.objects.search("GERAL")) == [match]
