"""The client address comes from X-Forwarded-For only through the trusted proxies
(TRUSTED_PROXY_COUNT): a forged header neither escapes a rate limit nor names someone else."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from api.tokens import api_token_create
from audit.models import AuditEvent
from carehub.client_address import client_address
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def request_from(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.2"),  # reached directly: the header is anyone's
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own entry is ignored
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, "198.51.100.1", "10.0.0.2"),  # fewer hops than proxies: the peer
        (1, "not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_the_client_is_the_entry_the_trusted_proxies_added(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_address(request_from("10.0.0.2", forwarded)) == expected


def test_a_new_forwarded_header_each_request_does_not_escape_the_api_limit(
    settings, own_throttle_cache
):
    settings.API_THROTTLE_RATES = {"user": "100/minute", "anon": "24/minute"}
    statuses = [
        APIClient().get("/api/v1/patients/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(60)
    ]
    assert statuses.count(401) == 24 and statuses[24:] == [429] * 36


def test_behind_a_proxy_each_client_has_its_own_limit(settings, own_throttle_cache):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.API_THROTTLE_RATES = {"user": "100/minute", "anon": "2/minute"}

    def status(client_address: str, forged: str = "") -> int:
        forwarded = f"{forged}, {client_address}" if forged else client_address
        return (
            APIClient()
            .get("/api/v1/patients/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
            .status_code
        )

    assert [status("198.51.100.1", forged=f"6.6.6.{n}") for n in range(3)] == [401, 401, 429]
    assert status("198.51.100.2") == 401  # another client behind the same proxy


def test_the_audit_trail_records_the_address_by_the_same_rule(settings, coordinator, patient):
    client = APIClient()
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get(
        f"/api/v1/patients/{patient.pk}/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    settings.TRUSTED_PROXY_COUNT = 1
    client.get(
        f"/api/v1/patients/{patient.pk}/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7",
    )
    addresses = list(
        AuditEvent.objects.filter(patient_id=patient.pk)
        .order_by("pk")
        .values_list("ip_address", flat=True)
    )
    assert addresses == ["10.0.0.2", "198.51.100.7"]


WRONG = "wrong-password-123"


def sign_in(client, username: str, password: str = WRONG, **headers):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **headers
    )


def test_a_forged_forwarded_header_does_not_reset_the_lockout(client, coordinator):
    for n in range(5):
        sign_in(client, coordinator.username, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert sign_in(client, coordinator.username, TEST_PASSWORD).status_code == 429


def test_failing_on_purpose_elsewhere_does_not_lock_the_user_out(client, coordinator):
    for _ in range(5):
        sign_in(client, coordinator.username, REMOTE_ADDR="203.0.113.66")
    assert sign_in(client, coordinator.username, REMOTE_ADDR="203.0.113.66").status_code == 429
    # The user, at their own address, still signs in.
    own = sign_in(client, coordinator.username, TEST_PASSWORD, REMOTE_ADDR="198.51.100.20")
    assert own.status_code == 302


def test_one_address_cannot_spray_every_account(settings, client, coordinator):
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 6
    for n in range(6):  # one guess each at six usernames: no pair reaches five
        sign_in(client, f"user-{n}", REMOTE_ADDR="203.0.113.66")
    refused = sign_in(client, coordinator.username, TEST_PASSWORD, REMOTE_ADDR="203.0.113.66")
    assert refused.status_code == 429
    elsewhere = sign_in(client, coordinator.username, TEST_PASSWORD, REMOTE_ADDR="198.51.100.20")
    assert elsewhere.status_code == 302


def test_rotating_addresses_reach_the_account_ceiling(settings, client, coordinator):
    settings.SIGN_IN_ACCOUNT_FAILURE_LIMIT = 8
    for n in range(8):  # two guesses from each of four addresses
        sign_in(client, coordinator.username, REMOTE_ADDR=f"203.0.113.{n // 2}")
    refused = sign_in(client, coordinator.username, TEST_PASSWORD, REMOTE_ADDR="198.51.100.20")
    assert refused.status_code == 429
