import pytest
from django.core.management import CommandError, call_command

from accounts.models import CareTeam, User
from accounts.roles import Role
from patients.models import Patient, RelatedPerson

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_teams_logins_and_patients(settings):
    settings.DEBUG = True
    call_command("seed_demo", patients=40, verbosity=0)
    assert Patient.objects.count() == 40
    assert CareTeam.objects.count() >= 2
    assert RelatedPerson.objects.exists()
    logins = {
        u.username: u
        for u in User.objects.filter(username__in=["coord", "coord2", "manager", "admin"])
    }
    assert set(logins) == {"coord", "coord2", "manager", "admin"}
    assert logins["coord"].has_role(Role.COORDINATOR)
    assert logins["manager"].has_perm("accounts.view_caseload")
    assert logins["admin"].is_superuser and logins["admin"].is_staff
    assert all(user.check_password("carehub-demo") for user in logins.values())
    first, second = logins["coord"].teams.get(), logins["coord2"].teams.get()
    assert first != second
    assert logins["manager"].teams.get() == first
    # Every patient is valid and coordinated by a member of its own team.
    for patient in Patient.objects.select_related("care_team")[:40]:
        patient.full_clean()


def test_seed_demo_is_repeatable_and_if_empty_adds_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo", patients=10, verbosity=0)
    call_command("seed_demo", patients=10, verbosity=0, if_empty=True)
    assert Patient.objects.count() == 10
    call_command("seed_demo", patients=5, verbosity=0)
    assert Patient.objects.count() == 15
    assert User.objects.filter(username="coord").count() == 1


def test_seed_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("seed_demo", patients=1, verbosity=0)
    assert not Patient.objects.exists()


def test_seed_demo_rejects_a_negative_count(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError):
        call_command("seed_demo", patients=-1, verbosity=0)


def test_seed_demo_team_size_sets_teams_and_logins(settings):
    """`make load` seeds 500 patients a team: each coordinator sees a caseload of ~125."""
    settings.DEBUG = True
    call_command("seed_demo", patients=30, patients_per_team=10, patients_only=True, verbosity=0)
    assert CareTeam.objects.count() == 3
    assert User.objects.filter(username__startswith="coord-t3-").count() == 4
    assert User.objects.filter(username="manager-t3").exists()
    assert set(Patient.objects.values_list("care_team", flat=True)) == set(
        CareTeam.objects.values_list("pk", flat=True)
    )
