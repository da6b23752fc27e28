import zoneinfo

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.roles import ADMIN_SET_DEFAULTS, ROLE_PERMISSIONS, Role
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_role_groups_are_created_by_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.group_name for r in Role}


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.CASE_MANAGER])
def test_each_role_holds_exactly_its_permissions(role):
    group = Group.objects.get(name=role.group_name)
    granted = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }
    declared = {
        f"{app}.{codename}"
        for grant in (ROLE_PERMISSIONS[role], ADMIN_SET_DEFAULTS.get(role, {}))
        for app, codenames in grant.items()
        for codename in codenames
    }
    assert granted <= declared
    # Every declared permission of an installed model exists and is granted.
    from django.contrib.auth.models import Permission

    existing = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
    assert declared & existing == granted


def test_only_case_managers_open_the_caseload(coordinator, case_manager):
    assert case_manager.has_perm("accounts.view_caseload")
    assert not coordinator.has_perm("accounts.view_caseload")


def test_admin_group_has_every_permission():
    from django.contrib.auth.models import Permission

    assert Group.objects.get(name="Admin").permissions.count() == Permission.objects.count()


def test_sign_in_and_out(client, coordinator):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200 and b'for="id_username"' in page.content
    response = client.post(
        reverse("accounts:login"), {"username": coordinator.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("patients:list")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("patients:list")).status_code == 302


def test_wrong_password_gives_one_message_for_every_case(client, coordinator):
    wrong = client.post(
        reverse("accounts:login"), {"username": coordinator.username, "password": "nope-nope-nope"}
    )
    unknown = client.post(
        reverse("accounts:login"), {"username": "no-such-user", "password": "nope-nope-nope"}
    )
    message = b"The username or password is not right"
    assert message in wrong.content and message in unknown.content


def test_production_hasher_is_argon2():
    from carehub import settings as module

    assert module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_password_validators_require_twelve_characters():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("short-pw1")
    validate_password("a-much-longer-passphrase-7")


def test_dates_show_in_the_users_time_zone(client, team_a):
    user = UserFactory(role=Role.COORDINATOR, teams=[team_a], time_zone="Asia/Tokyo")
    client.force_login(user)
    seen = {}

    from django.test.signals import template_rendered

    def capture(sender, template, context, **kwargs):
        seen.setdefault("tz", timezone.get_current_timezone())

    template_rendered.connect(capture)
    try:
        client.get(reverse("patients:list"))
    finally:
        template_rendered.disconnect(capture)
    assert seen["tz"] == zoneinfo.ZoneInfo("Asia/Tokyo")


def test_home_sends_signed_in_users_to_their_start_page(coordinator_client):
    response = coordinator_client.get("/")
    assert response.status_code == 302


def test_who_may_screen_is_the_admins_choice_and_survives_an_upgrade(coordinator):
    """Issue 25, item 8: screening is a role permission an admin sets (coordinators by
    default); the sync after every migrate keeps the admin's choice."""
    from django.apps import apps
    from django.contrib.auth.models import Permission

    from accounts.backends import forget_role_permissions
    from accounts.roles import sync_role_permissions

    group = Group.objects.get(name=Role.COORDINATOR.group_name)
    screening = Permission.objects.get(codename="add_assessment")
    assert screening in group.permissions.all()
    group.permissions.remove(screening)
    sync_role_permissions(apps, None)  # what every migrate runs
    assert screening not in group.permissions.all()
    group.permissions.add(screening)
    sync_role_permissions(apps, None)
    assert screening in group.permissions.all()
    forget_role_permissions()
    assert type(coordinator).objects.get(pk=coordinator.pk).has_perm("assessments.add_assessment")
