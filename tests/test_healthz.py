"""GET /healthz: 200 when the database and the broker answer, 503 otherwise.

The failure cases run the app in a fresh interpreter pointed at a port nothing listens
on, so the real driver and the real transport fail, not a mock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLOSED_PORT = 9  # discard; nothing listens on it here


def test_healthy(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def probe(tmp_path, **env) -> tuple[int, dict]:
    script = (
        "import json, django\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/healthz')\n"
        "print(json.dumps([response.status_code, response.json()]))\n"
    )
    full = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carehub.settings",
        "DEBUG": "true",
        "ALLOWED_HOSTS": "testserver",
        "CAREHUB_VAR_DIR": str(tmp_path),
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    return status, body


def test_broker_down_is_503(tmp_path):
    status, body = probe(tmp_path, REDIS_URL=f"redis://127.0.0.1:{CLOSED_PORT}/0")
    assert status == 503
    assert body["broker"] == "down" and body["status"] == "unavailable"


def test_database_down_is_503(tmp_path):
    status, body = probe(
        tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{CLOSED_PORT}/carehub"
    )
    assert status == 503
    assert body["database"] == "down"


@pytest.mark.redis
def test_redis_broker_up_is_200(tmp_path, db):
    status, body = probe(tmp_path, REDIS_URL=os.environ["REDIS_URL"])
    assert body["broker"] == "ok"


def test_healthz_needs_no_sign_in(client, db):
    assert client.get("/healthz").status_code == 200
