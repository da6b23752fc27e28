"""API personas: each persona's own token (the way scripts and integrations call)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.tokens import api_token_create


def token_client(user) -> APIClient:
    _token, key = api_token_create(user=user, by=user, name="test script", scope="write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api(coordinator) -> APIClient:
    """Coordinator of team A, with a token."""
    return token_client(coordinator)


@pytest.fixture
def outsider_api(coordinator_b) -> APIClient:
    """Coordinator of team B: team A's records do not exist for them."""
    return token_client(coordinator_b)


@pytest.fixture
def manager_api(case_manager) -> APIClient:
    return token_client(case_manager)


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    return token_client(admin_user)
