"""A referral's copy of its patient's care team (migration 0006), kept by the database on
both backends: written on insert, taken again when the referral's patient changes, moved
when the patient moves to another team, whatever wrote the change; never by hand.
referrals_visible_to reads a team's referrals from it."""

from __future__ import annotations

import pytest
from django.db import connection

from patients.models import Patient
from referrals.models import Referral, ReferralHistory
from referrals.selectors import referrals_visible_to
from tests.factories import CareTeamFactory, PatientFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def team_of(referral: Referral) -> int | None:
    return Referral.objects.values_list("care_team_id", flat=True).get(pk=referral.pk)


def test_a_new_referral_takes_its_patients_team(patient, patient_b):
    assert team_of(ReferralFactory(patient=patient)) == patient.care_team_id
    assert team_of(ReferralFactory(patient=patient_b)) == patient_b.care_team_id


def test_a_patient_moved_by_save_takes_their_referrals_along(patient, team_b):
    referrals = ReferralFactory.create_batch(2, patient=patient)
    other = ReferralFactory()  # another patient's: untouched
    patient.care_team = team_b
    patient.save()
    assert [team_of(r) for r in referrals] == [team_b.pk, team_b.pk]
    assert team_of(other) == other.patient.care_team_id != team_b.pk


def test_a_patient_moved_by_queryset_update_takes_their_referrals_along(patient, team_b):
    referral = ReferralFactory(patient=patient)
    Patient.objects.filter(pk=patient.pk).update(care_team=team_b)
    assert team_of(referral) == team_b.pk


def test_a_referral_given_another_patient_takes_that_patients_team(patient, patient_b):
    referral = ReferralFactory(patient=patient)
    Referral.objects.filter(pk=referral.pk).update(patient=patient_b)
    assert team_of(referral) == patient_b.care_team_id


def test_the_copy_cannot_be_written_by_hand(patient, team_b):
    referral = ReferralFactory(patient=patient)
    Referral.objects.filter(pk=referral.pk).update(care_team=team_b)
    assert team_of(referral) == patient.care_team_id
    # A stale copy in memory, saved, is taken again from the patient.
    referral.care_team_id = team_b.pk
    referral.reason = "Changed"
    referral.save()
    assert team_of(referral) == patient.care_team_id


def test_scope_follows_the_patient_to_their_new_team(patient, coordinator, coordinator_b, team_b):
    referral = ReferralFactory(patient=patient)
    assert list(referrals_visible_to(coordinator)) == [referral]
    assert list(referrals_visible_to(coordinator_b)) == []
    patient.care_team = team_b
    patient.save()
    assert list(referrals_visible_to(coordinator)) == []
    assert list(referrals_visible_to(coordinator_b)) == [referral]


def test_a_team_page_is_newest_first_and_only_the_teams(patient, coordinator, team_a):
    other_team_patient = PatientFactory(care_team=CareTeamFactory())
    ReferralFactory.create_batch(3, patient=other_team_patient)
    mine = [
        ReferralFactory(patient=patient),
        ReferralFactory(patient=PatientFactory(care_team=team_a)),
    ]
    page = list(referrals_visible_to(coordinator).order_by("-created_at", "-id")[:50])
    assert page == sorted(mine, key=lambda r: (r.created_at, r.pk), reverse=True)


@pytest.mark.postgres
def test_a_teams_newest_page_is_read_from_the_teams_index(patient, coordinator):
    ReferralFactory.create_batch(3, patient=patient)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = referrals_visible_to(coordinator).order_by("-created_at", "-id")[:51].explain()
    assert "referral_team_newest_idx" in plan, plan


@pytest.mark.postgres
def test_moving_a_patient_records_the_move_once_on_the_patient(patient, team_b):
    referral = ReferralFactory(patient=patient)
    before = ReferralHistory.objects.filter(pgh_obj_id=referral.pk).count()
    patient.care_team = team_b
    patient.save()
    # The copy's change is the patient's, recorded there (PatientHistory), not on every
    # referral again; and a new referral's history does not list the copy.
    assert ReferralHistory.objects.filter(pgh_obj_id=referral.pk).count() == before
    (inserted,) = ReferralHistory.objects.filter(pgh_obj_id=referral.pk, pgh_label="insert")
    assert "care_team" not in inserted.pgh_diff


def test_a_referral_written_in_sql_takes_its_patients_team(patient, coordinator):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO referrals_referral (patient_id, recipient_name, recipient_phone,"
            " recipient_email, recipient_address, reason, needs, priority, status,"
            " status_reason, referred_by_id, outcome_code, outcome_note, closing_reason,"
            " consent_override_reason, link_key, created_at, updated_at, version)"
            " VALUES (%s, 'Food bank', '', '', '', 'Groceries', '[]', 'routine', 'draft',"
            " '', %s, '', '', '', '', '', %s, %s, 1)",
            [patient.pk, coordinator.pk, patient.created_at, patient.created_at],
        )
    (referral,) = Referral.objects.filter(patient=patient)
    assert team_of(referral) == patient.care_team_id
    assert list(referrals_visible_to(coordinator)) == [referral]
