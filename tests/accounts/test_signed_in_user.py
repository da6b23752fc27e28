"""The signed-in user, their roles, permissions and verified device: read in one query
on PostgreSQL (accounts.backends.RoleBackend.get_user, accounts.middleware.OTPMiddleware),
and never staler than the request."""

import time

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.backends import RoleBackend
from accounts.roles import Role
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_user_roles_and_permissions_come_in_one_query(coordinator, django_assert_num_queries):
    coordinator.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    with django_assert_num_queries(1):
        user = RoleBackend().get_user(coordinator.pk)
        assert user.role_names == frozenset({Role.COORDINATOR.group_name})
        assert user.has_perm("careplans.view_task")
        assert user.has_perm("audit.view_auditevent")  # their own, besides the role's
        assert not user.has_perm("accounts.view_caseload")
        assert not user.is_admin


def test_group_changes_reach_the_next_request(coordinator, case_manager):
    coordinator.groups.add(Group.objects.get(name=Role.CASE_MANAGER.group_name))
    assert RoleBackend().get_user(coordinator.pk).has_perm("accounts.view_caseload")
    coordinator.groups.clear()
    user = RoleBackend().get_user(coordinator.pk)
    assert user.role_names == frozenset() and not user.has_perm("careplans.view_task")


def test_inactive_or_missing_users_are_nobody(coordinator):
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])
    assert RoleBackend().get_user(coordinator.pk) is None
    assert RoleBackend().get_user(coordinator.pk + 1000) is None


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def verified_client(client, settings, coordinator):
    """A coordinator signed in with an authenticator app's code."""
    settings.CAREHUB_DEMO = False
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    client.post(
        reverse("accounts:login"), {"username": coordinator.username, "password": TEST_PASSWORD}
    )
    client.post(reverse("accounts:two_factor_verify"), {"token": _code(device)})
    assert client.get(reverse("patients:list")).status_code == 200
    return client, device


def _device_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('SELECT "otp_totp_totpdevice"')]


def test_a_verified_session_costs_no_device_query(verified_client, django_assert_max_num_queries):
    client, _device = verified_client
    with django_assert_max_num_queries(20) as captured:
        response = client.get(reverse("patients:list"))
    assert response.status_code == 200  # still verified: no redirect to the code page
    assert response.wsgi_request.user.is_verified()
    assert _device_reads(captured.captured_queries) == []


@pytest.mark.parametrize("change", ["delete", "unconfirm"])
def test_a_removed_device_ends_the_verification(verified_client, change):
    client, device = verified_client
    if change == "delete":
        device.delete()
    else:
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    assert "otp_device_id" not in client.session


def test_another_users_device_does_not_verify(verified_client, coordinator_b):
    client, device = verified_client
    other = TOTPDevice.objects.create(user=coordinator_b, name="theirs", confirmed=True)
    session = client.session
    session["otp_device_id"] = other.persistent_id
    session.save()
    response = client.get(reverse("patients:list"))
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))


def test_the_device_row_loads_its_other_fields_when_asked(verified_client):
    client, device = verified_client
    response = client.get(reverse("patients:list"))
    loaded = response.wsgi_request.user.otp_device
    assert loaded.pk == device.pk and loaded.name == "phone"  # name: read on demand


def test_patients_are_scoped_by_team_ids_read_with_the_user(coordinator, team_b, patient):
    from patients.models import Patient
    from patients.selectors import patients_visible_to
    from tests.factories import PatientFactory

    other = PatientFactory(care_team=team_b)
    user = RoleBackend().get_user(coordinator.pk)
    visible = patients_visible_to(user)
    assert "accounts_teammembership" not in str(visible.query)  # literal ids
    assert set(visible) == set(patients_visible_to(coordinator)) == {patient}
    coordinator.memberships.all().delete()
    assert not patients_visible_to(RoleBackend().get_user(coordinator.pk)).exists()
    assert Patient.objects.filter(pk=other.pk).exists()
