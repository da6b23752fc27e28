"""Settings come from the environment; production mode refuses insecure defaults.

Each case starts a fresh interpreter so the settings module is parsed from scratch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_KEY = "k" * 20 + "-production-key-with-enough-entropy-0123456789"
PRODUCTION_SERVICES = {
    "DATABASE_URL": "postgres://carehub@db.internal:5432/carehub",
    "REDIS_URL": "redis://cache.internal:6379/0",
}
OLD_KEY = "o" * 20 + "-the-key-before-the-last-rotation-0123456789"


def load_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    script = (
        "import json, django\n"
        "from django.conf import settings\n"
        "django.setup()\n"
        "db = settings.DATABASES['default']\n"
        "print(json.dumps({'debug': settings.DEBUG, 'engine': db['ENGINE'], 'name': str(db['NAME']),"
        " 'host': db.get('HOST', ''), 'broker': settings.CELERY_BROKER_URL, 'hosts': settings.ALLOWED_HOSTS,"
        " 'tz': settings.TIME_ZONE, 'use_tz': settings.USE_TZ, 'email': settings.EMAIL_BACKEND,"
        " 'key': settings.SECRET_KEY, 'fallbacks': settings.SECRET_KEY_FALLBACKS,"
        " 'conn_max_age': db.get('CONN_MAX_AGE'),"
        " 'no_server_side_cursors': db.get('DISABLE_SERVER_SIDE_CURSORS'),"
        " 'secure_cookie': getattr(settings, 'SESSION_COOKIE_SECURE', False),"
        " 'demo': settings.CAREHUB_DEMO}))\n"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "SECRET_KEY_FALLBACKS",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "REDIS_URL",
            "EMAIL_BACKEND",
            "TIME_ZONE",
            "CAREHUB_DEMO",
            "CONN_MAX_AGE",
            "DISABLE_SERVER_SIDE_CURSORS",
        }
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "carehub.settings", "CAREHUB_VAR_DIR": str(tmp_path)})
    if env.get("DEBUG") != "true":
        # Production needs a real database and broker; nothing connects while settings load.
        clean.update(PRODUCTION_SERVICES)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def parsed(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_in_development(tmp_path):
    values = parsed(load_settings(tmp_path, DEBUG="true"))
    assert values["engine"] == "carehub.overrides.sqlite"  # Django's, with the real limit
    assert values["name"] == str(tmp_path / "carehub.sqlite3")
    assert values["broker"] == "filesystem://"
    assert values["use_tz"] is True
    assert values["email"] == "django.core.mail.backends.filebased.EmailBackend"
    assert values["key"].startswith("django-insecure-")
    # The generated key is kept, so the web process, worker and restarts share it.
    assert (tmp_path / "dev-secret-key").read_text() == values["key"]
    assert parsed(load_settings(tmp_path, DEBUG="true"))["key"] == values["key"]


def test_environment_overrides(tmp_path):
    values = parsed(
        load_settings(
            tmp_path,
            DEBUG="true",
            DATABASE_URL="postgres://carehub:pw@db.internal:5433/carehub",
            REDIS_URL="redis://cache.internal:6379/2",
            ALLOWED_HOSTS="care.example.org,www.care.example.org",
            TIME_ZONE="America/Chicago",
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        )
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert (values["host"], values["name"]) == ("db.internal", "carehub")
    assert values["conn_max_age"] == 60
    assert values["no_server_side_cursors"] is False
    assert values["broker"] == "redis://cache.internal:6379/2"
    assert values["hosts"] == ["care.example.org", "www.care.example.org"]
    assert values["tz"] == "America/Chicago"
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"


def test_behind_pgbouncer(tmp_path):
    """Transaction pooling: persistent connections to the pooler, no server-side cursors."""
    values = parsed(
        load_settings(
            tmp_path,
            DEBUG="true",
            DATABASE_URL="postgres://carehub:pw@pgbouncer.internal:6432/carehub",
            CONN_MAX_AGE="600",
            DISABLE_SERVER_SIDE_CURSORS="true",
        )
    )
    assert values["conn_max_age"] == 600
    assert values["no_server_side_cursors"] is True


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "SECRET_KEY must be set"),
        (
            {"SECRET_KEY": "django-insecure-" + "x" * 60, "ALLOWED_HOSTS": "care.example.org"},
            "SECRET_KEY",
        ),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "care.example.org"}, "SECRET_KEY"),
        ({"SECRET_KEY": REAL_KEY}, "ALLOWED_HOSTS must list"),
        ({"SECRET_KEY": REAL_KEY, "ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must list"),
        (
            {
                "SECRET_KEY": REAL_KEY,
                "SECRET_KEY_FALLBACKS": f"{OLD_KEY},short",
                "ALLOWED_HOSTS": "care.example.org",
            },
            "each of SECRET_KEY_FALLBACKS",
        ),
    ],
    ids=["nothing-set", "insecure-key", "short-key", "no-hosts", "wildcard-host", "short-fallback"],
)
def test_production_refuses_to_start_without_real_secrets(tmp_path, env, complaint):
    result = load_settings(tmp_path, **env)
    assert result.returncode != 0
    assert "refuses to start" in result.stderr and complaint in result.stderr
    assert not (tmp_path / "dev-secret-key").exists()


def test_production_starts_with_real_settings(tmp_path):
    values = parsed(load_settings(tmp_path, SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="care.example.org"))
    assert values["debug"] is False
    assert values["secure_cookie"] is True
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"


def test_a_rotated_key_keeps_the_earlier_ones_as_fallbacks(tmp_path):
    values = parsed(
        load_settings(
            tmp_path,
            SECRET_KEY=REAL_KEY,
            SECRET_KEY_FALLBACKS=OLD_KEY,
            ALLOWED_HOSTS="care.example.org",
        )
    )
    assert values["key"] == REAL_KEY and values["fallbacks"] == [OLD_KEY]
    assert parsed(load_settings(tmp_path, DEBUG="true"))["fallbacks"] == []


def test_debug_is_off_unless_asked_for(tmp_path):
    result = load_settings(tmp_path, SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="care.example.org")
    assert parsed(result)["debug"] is False


def test_production_never_runs_the_demo(tmp_path):
    values = parsed(
        load_settings(
            tmp_path, SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="care.example.org", CAREHUB_DEMO="true"
        )
    )
    assert values["demo"] is False


@pytest.mark.parametrize(
    "services",
    [
        {"DATABASE_URL": "sqlite:///carehub.sqlite3"},
        {"REDIS_URL": ""},
    ],
    ids=["sqlite", "filesystem-broker"],
)
def test_production_refuses_the_embedded_database_and_broker(tmp_path, services):
    result = load_settings(
        tmp_path, SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="care.example.org", **services
    )
    assert result.returncode != 0
    assert "refuses to start" in result.stderr and "embedded demo only" in result.stderr
