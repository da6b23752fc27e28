"""API tokens after a compromise: scopes, revocation on password change and on signing
out everywhere, the admin's longest lifetime, and every API view holding the scope."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.authentication import TokenScopePermission
from api.forms import ApiTokenForm
from api.models import ApiToken, RevokedBecause, TokenPolicy
from api.tokens import api_token_create, token_policy_set
from tests.careplans.factories import TaskFactory
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
PATIENTS = "/api/v1/patients/"


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_read_only_token_reads_and_is_refused_every_write(coordinator, patient):
    task = TaskFactory(patient=patient, assignee=coordinator)
    _token, key = api_token_create(user=coordinator, by=coordinator, name="report")
    client = bearer(key)
    assert client.get(PATIENTS).status_code == 200
    response = client.post(reverse("api:task-transition", args=[task.pk]), {"to": "accepted"})
    assert response.status_code == 403
    assert "may only read" in response.json()["detail"]
    task.refresh_from_db()
    assert task.status == "requested"
    assert client.patch(f"{PATIENTS}{patient.pk}/", {"preferred_name": "X"}).status_code == 403


def test_a_write_token_writes(coordinator, patient):
    task = TaskFactory(patient=patient, assignee=coordinator)
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync", scope="write")
    response = bearer(key).post(reverse("api:task-transition", args=[task.pk]), {"to": "accepted"})
    assert response.status_code == 200, response.content


def _api_views():
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None)
                if view is None or not hasattr(view, "permission_classes"):
                    continue
                actions = getattr(pattern.callback, "actions", None)
                methods = (
                    set(actions)
                    if actions
                    else {name for name in view.http_method_names if hasattr(view, name)}
                )
                if methods - {"get", "head", "options"}:  # it can change something
                    yield pattern, view

    return list(walk(get_resolver().url_patterns))


def test_every_api_and_fhir_view_holds_the_token_scope():
    views = _api_views()
    assert len(views) > 20
    missing = [
        str(pattern.pattern)
        for pattern, view in views
        if TokenScopePermission not in view.permission_classes
    ]
    assert missing == []


def test_changing_the_password_on_the_page_revokes_the_tokens_and_says_so(
    coordinator_client, coordinator
):
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    response = coordinator_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "1 API tokens were revoked" in response.content.decode()
    assert bearer(key).get(PATIENTS).status_code == 401
    token = ApiToken.objects.get(user=coordinator)
    assert token.revoked_because == RevokedBecause.PASSWORD_CHANGED
    assert (
        "ended by a password change"
        in coordinator_client.get(reverse("accounts:security")).content.decode()
    )


def test_a_password_changed_anywhere_else_ends_older_tokens(coordinator):
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    assert bearer(key).get(PATIENTS).status_code == 200
    coordinator.set_password("changed-in-admin-or-cli-7")
    coordinator.save(update_fields=["password"])
    assert bearer(key).get(PATIENTS).status_code == 401
    assert ApiToken.objects.get().revoked_because == RevokedBecause.PASSWORD_CHANGED
    # A token made after the change works.
    _token, new_key = api_token_create(user=coordinator, by=coordinator, name="sync 2")
    assert bearer(new_key).get(PATIENTS).status_code == 200


def test_changepassword_command_ends_tokens(coordinator, monkeypatch):
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "changed-by-the-cli-9")
    call_command("changepassword", coordinator.username, stdout=io.StringIO())
    assert bearer(key).get(PATIENTS).status_code == 401


def test_signing_out_everywhere_revokes_the_tokens(coordinator_client, coordinator):
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    response = coordinator_client.post(reverse("accounts:sign_out_everywhere"), follow=True)
    assert "1 API tokens revoked" in response.content.decode()
    assert bearer(key).get(PATIENTS).status_code == 401
    assert ApiToken.objects.get().revoked_because == RevokedBecause.SIGNED_OUT_EVERYWHERE


def test_no_token_outlives_the_admins_longest_lifetime(coordinator):
    with pytest.raises(ValidationError):
        api_token_create(user=coordinator, by=coordinator, name="x", lifetime_days=366)
    with pytest.raises(ValidationError):
        api_token_create(user=coordinator, by=coordinator, name="x", lifetime_days=0)
    token, key = api_token_create(user=coordinator, by=coordinator, name="x", lifetime_days=365)
    _policy, shortened = token_policy_set(max_lifetime_days=30)
    assert shortened == 1
    token.refresh_from_db()
    assert token.expires_at <= token.created_at + datetime.timedelta(days=30)
    assert bearer(key).get(PATIENTS).status_code == 200
    made = timezone.now() - datetime.timedelta(days=31)
    ApiToken.objects.filter(pk=token.pk).update(created_at=made)
    token_policy_set(max_lifetime_days=30)
    assert bearer(key).get(PATIENTS).status_code == 401


def test_the_admin_sets_the_longest_lifetime_in_django_admin(client, admin_user, coordinator):
    client.force_login(admin_user)
    token, _key = api_token_create(user=coordinator, by=coordinator, name="x", lifetime_days=365)
    TokenPolicy.current()
    response = client.post(
        reverse("admin:api_tokenpolicy_change", args=[1]), {"max_lifetime_days": "60"}, follow=True
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.expires_at <= token.created_at + datetime.timedelta(days=60)
    # The security page offers no longer lifetime than that.
    form_choices = [choice[0] for choice in ApiTokenForm().fields["lifetime"].choices]
    assert form_choices == [30, 60]
    assert site.is_registered(TokenPolicy)
