"""Shared fixtures: the personas every view test uses, and the rules for optional parts.

Personas (tests/factories.py builds them):
- ``coordinator``: coordinator of team A
- ``coordinator_b``: coordinator of team B (the outsider for scope tests)
- ``case_manager``: case manager of team A
- ``admin_user``: superuser
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.core.cache import caches
from django.db import connection

from accounts.backends import forget_role_permissions, role_permissions
from accounts.roles import Role
from tests import factories

REQUIRE_ALL = os.environ.get("CAREHUB_REQUIRE_ALL_TESTS") == "1"


def pytest_collection_modifyitems(config, items):
    redis_url = os.environ.get("REDIS_URL", "")
    chromium = shutil.which("chromium") or os.path.exists("/usr/bin/chromium")
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if "redis" in item.keywords and not redis_url.startswith("redis"):
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL"))
        if "browser" in item.keywords and not chromium:
            item.add_marker(pytest.mark.skip(reason="needs Debian's chromium at /usr/bin/chromium"))


def pytest_sessionfinish(session, exitstatus):
    """In CI (CAREHUB_REQUIRE_ALL_TESTS=1) a skipped test is a failed build."""
    if not REQUIRE_ALL:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"CAREHUB_REQUIRE_ALL_TESTS: {len(skipped)} test(s) skipped; every test must run in CI.",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def team_a(db):
    return factories.CareTeamFactory(name="Team A")


@pytest.fixture
def team_b(db):
    return factories.CareTeamFactory(name="Team B")


@pytest.fixture
def coordinator(team_a):
    return factories.UserFactory(username="coord-a", role=Role.COORDINATOR, teams=[team_a])


@pytest.fixture
def coordinator_b(team_b):
    return factories.UserFactory(username="coord-b", role=Role.COORDINATOR, teams=[team_b])


@pytest.fixture
def case_manager(team_a):
    return factories.UserFactory(username="manager-a", role=Role.CASE_MANAGER, teams=[team_a])


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def patient(team_a, coordinator, case_manager):
    return factories.PatientFactory(
        care_team=team_a, primary_coordinator=coordinator, case_manager=case_manager
    )


@pytest.fixture
def patient_b(team_b, coordinator_b):
    return factories.PatientFactory(care_team=team_b, primary_coordinator=coordinator_b)


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Mail of a test stays in memory or its own folder; passwords hash fast."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    # Argon2 is the production hasher (tests/accounts checks it); tests hash many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The suite makes thousands of API requests from one address within minutes; the
    # throttling tests (tests/api/test_auth.py) set their own rates and cache.
    settings.API_THROTTLE_RATES = {
        "user": "1000000/minute",
        "anon": "1000000/minute",
        "referral_link": "1000000/minute",
    }
    # Drawn dashboards are kept per process (dashboards/freshness.py): none from another test.
    caches["dashboards"].clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as migrated, but Django's flush after each transactional test
    (a TRUNCATE of every table) may empty the audit table: its refusal of TRUNCATE (audit
    migration 0005) is off here, and switched on by the test of it, inside its transaction."""
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_truncate"
            )
    yield


@pytest.fixture(autouse=True)
def _fresh_role_permissions(request, django_db_blocker):
    """Roles' permissions are kept per process (accounts/backends.py). Each test starts
    from the database's, read before the test runs, so a test that changed a role in its
    rolled-back transaction leaves nothing behind and query counts do not include the read."""
    forget_role_permissions()
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if uses_db:
        request.getfixturevalue("django_db_setup")
        with django_db_blocker.unblock():
            role_permissions()


@pytest.fixture(autouse=True)
def _throttle_breaker_closed():
    """A test that made the throttle's cache fail leaves its circuit breaker open for the
    cooldown (api/throttling.py): each test starts with it closed."""
    from api.throttling import BREAKER

    BREAKER.succeeded()
    yield
    BREAKER.succeeded()


@pytest.fixture
def own_throttle_cache(settings, request):
    """A cache of this test's own: counters of other tests (and of Redis) do not leak in."""
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.name,
        },
    }
