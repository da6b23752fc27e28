import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories make many users here; Argon2 costs ~0.2 s each and tests no referral rule."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
