"""Token and session authentication, revocation, audit, no-store and throttling."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke, hash_key
from audit.models import AuditEvent, AuditOutcome

pytestmark = pytest.mark.django_db

PATIENTS = "/api/v1/patients/"


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_the_key_is_stored_only_as_its_hash(coordinator):
    token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hash_key(key) and key not in str(stored.__dict__)
    assert key.startswith(stored.prefix) and len(stored.prefix) < len(key) // 3


def test_a_token_authenticates_as_its_user(coordinator, patient):
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    response = bearer(key).get(PATIENTS)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [patient.pk]


def test_without_credentials_the_api_answers_401_json_not_a_redirect(client):
    response = client.get(PATIENTS)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer chk_not-a-real-key", "Bearer", "Token a b", "Bearer é"])
def test_unknown_or_malformed_tokens_get_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert client.get(PATIENTS).status_code == 401


def test_a_revoked_token_gets_401_and_stays_revoked(coordinator):
    token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    client = bearer(key)
    assert client.get(PATIENTS).status_code == 200
    api_token_revoke(token=token, by=coordinator)
    assert client.get(PATIENTS).status_code == 401
    # Revoking is final: no later use or second revocation brings it back.
    api_token_revoke(token=token, by=coordinator)
    assert client.get(PATIENTS).status_code == 401
    assert bearer(key).post(PATIENTS, {}, format="json").status_code == 401


def test_an_expired_token_gets_401(coordinator):
    token, key = api_token_create(user=coordinator, by=coordinator, name="sync", lifetime_days=1)
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert bearer(key).get(PATIENTS).status_code == 401


def test_a_deactivated_users_token_stops_working(coordinator):
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])
    assert bearer(key).get(PATIENTS).status_code == 401


def test_last_use_is_recorded(coordinator):
    token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    bearer(key).get(PATIENTS)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_users_revoke_only_their_own_tokens_and_admins_any(coordinator, coordinator_b, admin_user):
    token, _key = api_token_create(user=coordinator, by=coordinator, name="sync")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, by=coordinator_b)
    with pytest.raises(PermissionDenied):
        api_token_create(user=coordinator, by=coordinator_b, name="not yours")
    api_token_revoke(token=token, by=admin_user)
    token.refresh_from_db()
    assert token.revoked_by == admin_user


def test_the_security_page_creates_a_token_and_shows_the_key_once(coordinator_client, coordinator):
    response = coordinator_client.post(
        reverse("accounts:api_token_create"),
        {"name": "EHR sync", "lifetime": "30", "scope": "read"},
    )
    assert response.status_code == 200
    key = response.context["key"]
    assert key.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=coordinator)
    assert token.key_hash == hash_key(key) and token.expires_at is not None
    page = coordinator_client.get(reverse("accounts:security"))
    assert b"EHR sync" in page.content and key.encode() not in page.content
    assert bearer(key).get(PATIENTS).status_code == 200


def test_the_security_page_revokes_a_token(coordinator_client, coordinator):
    token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    response = coordinator_client.post(reverse("accounts:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert bearer(key).get(PATIENTS).status_code == 401


def test_another_users_token_cannot_be_revoked_from_the_page(client, coordinator, coordinator_b):
    token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    client.force_login(coordinator_b)
    assert client.post(reverse("accounts:api_token_revoke", args=[token.pk])).status_code == 404
    assert bearer(key).get(PATIENTS).status_code == 200


def test_an_admin_makes_a_token_for_a_user_in_django_admin(client, admin_user, coordinator):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:api_apitoken_add"),
        {"user": coordinator.pk, "name": "integration", "lifetime": "90", "scope": "read"},
    )
    assert response.status_code == 200, response.content[:500]
    token = ApiToken.objects.get(user=coordinator)
    assert token.created_by == admin_user
    assert bearer(response.context["key"]).get(PATIENTS).status_code == 200


def test_session_writes_need_the_csrf_token(coordinator, patient):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.get(PATIENTS).status_code == 200
    response = client.post(
        f"{PATIENTS}{patient.pk}/transition/", {"to": "inactive", "reason": "x"}, format="json"
    )
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_token_requests_are_audited_with_the_patient(coordinator, patient):
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    client = bearer(key)
    urls = [
        f"{PATIENTS}{patient.pk}/",
        f"/fhir/Patient/{patient.pk}",
        f"/fhir/Patient/{patient.pk}/$everything",
    ]
    for url in urls:
        assert client.get(url).status_code == 200
    events = AuditEvent.objects.filter(patient=patient, actor=coordinator)
    # Audited PHI requests / PHI requests = 100% for the API and FHIR too.
    assert events.count() / len(urls) == 1.0
    assert {e.route for e in events} == {"api:patient-detail", "fhir:patient", "fhir:everything"}


def test_a_token_request_outside_scope_is_audited_as_denied(coordinator_b, patient):
    _token, key = api_token_create(user=coordinator_b, by=coordinator_b, name="sync")
    assert bearer(key).get(f"{PATIENTS}{patient.pk}/").status_code == 404
    event = AuditEvent.objects.get(route="api:patient-detail")
    assert (event.actor, event.outcome, event.patient_id) == (
        coordinator_b,
        AuditOutcome.DENIED,
        None,
    )


def test_token_authenticated_answers_are_never_cached(coordinator, patient):
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    for url in (f"{PATIENTS}{patient.pk}/", f"/fhir/Patient/{patient.pk}"):
        response = bearer(key).get(url)
        assert "no-store" in response["Cache-Control"], url


def test_requests_are_throttled_per_user_and_per_anonymous_client(
    settings, own_throttle_cache, coordinator
):
    settings.API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute"}
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    client = bearer(key)
    assert [client.get(PATIENTS).status_code for _ in range(4)] == [200, 200, 200, 429]
    anonymous = APIClient()
    assert [anonymous.get("/api/v1/services/").status_code for _ in range(3)] == [401, 401, 429]
    assert anonymous.get("/fhir/Patient/1").status_code == 429


def test_guessing_tokens_is_throttled_as_anonymous(settings, own_throttle_cache):
    settings.API_THROTTLE_RATES = {"user": "100/minute", "anon": "2/minute"}
    statuses = [bearer(f"chk_guess{n}").get(PATIENTS).status_code for n in range(3)]
    assert statuses == [401, 401, 429]


def test_an_unreachable_throttle_cache_lets_requests_through(settings, coordinator, caplog):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    assert bearer(key).get(PATIENTS).status_code == 200
    assert "throttle cache unavailable" in caplog.text


@pytest.mark.redis
def test_with_redis_all_web_workers_share_the_counters(settings, coordinator):
    from django.core.cache.backends.redis import RedisCache

    from api.throttling import UserRateThrottle

    cache = caches["throttle"]
    assert isinstance(cache, RedisCache)
    settings.API_THROTTLE_RATES = {"user": "2/minute", "anon": "1000/minute"}
    cache.delete(UserRateThrottle.cache_format % {"scope": "user", "ident": coordinator.pk})
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    client = bearer(key)
    assert [client.get(PATIENTS).status_code for _ in range(3)] == [200, 200, 429]
    cache.delete(UserRateThrottle.cache_format % {"scope": "user", "ident": coordinator.pk})
