"""Fixtures of the careplans tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 costs ~140 ms a user; these tests make hundreds of users and never sign in
    with a password (force_login), so a cheap hasher keeps the suite fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
