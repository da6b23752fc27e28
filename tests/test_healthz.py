"""GET /healthz: 200 when the database, the broker, a worker, beat and the outbox are all
fine, 503 otherwise, naming the part that is down.

The failure cases run the app in a fresh interpreter pointed at a port nothing listens
on, so the real driver and the real transport fail, not a mock.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from reminders.status import heartbeat_record
from tests.reminders.factories import ReminderFactory

ROOT = Path(__file__).resolve().parent.parent
CLOSED_PORT = 9  # discard; nothing listens on it here


@pytest.fixture
def running(db):
    """A worker heard from and beat run just now: what a running system leaves."""
    heartbeat_record(hostname="celery@test")
    PeriodicTask.objects.filter(task="reminders.heartbeat").update(last_run_at=timezone.now())


def test_healthy(client, running):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["broker"], body["down"]) == (
        "ok",
        "ok",
        "ok",
        [],
    )
    assert body["parts"]["worker"]["alive"] == 1
    assert body["parts"]["outbox"]["oldest_unsent_age_seconds"] is None
    assert "no-cache" in response["Cache-Control"]


def test_no_worker_is_503_and_says_so(client, running):
    from reminders.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update(seen_at=timezone.now() - datetime.timedelta(minutes=3))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["worker"]
    assert response.json()["parts"]["worker"]["last_heartbeat_age_seconds"] >= 180


def test_a_liveness_probe_asks_about_some_parts_only(client, running):
    """docker-compose's web healthcheck asks ?part=database,broker: a stopped worker makes
    the whole answer 503, not the web container unhealthy."""
    from reminders.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update(seen_at=timezone.now() - datetime.timedelta(minutes=3))
    assert client.get("/healthz").status_code == 503
    response = client.get("/healthz?part=database,broker")
    assert response.status_code == 200
    assert set(response.json()["parts"]) == {"database", "broker"}
    assert client.get("/healthz?part=worker").status_code == 503
    wrong = client.get("/healthz?part=nonsense")
    assert wrong.status_code == 400 and wrong.json()["unknown_parts"] == ["nonsense"]
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "/healthz?part=database,broker" in compose


def test_beat_stopped_is_503_and_says_so(client, running):
    PeriodicTask.objects.update(last_run_at=timezone.now() - datetime.timedelta(minutes=10))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["beat"]


def test_an_outbox_backlog_is_503_with_the_oldest_unsent_age(client, running):
    ReminderFactory(send_at=timezone.now() - datetime.timedelta(minutes=26))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["outbox"]
    assert body["parts"]["outbox"]["oldest_unsent_age_seconds"] >= 26 * 60
    assert body["parts"]["outbox"]["due"] == 1


def test_the_heartbeat_is_on_beats_schedule(db):
    entry = PeriodicTask.objects.get(task="reminders.heartbeat")
    assert (entry.interval.every, entry.interval.period) == (30, IntervalSchedule.SECONDS)


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


def test_healthz_needs_no_sign_in(client, running):
    assert client.get("/healthz").status_code == 200


def test_the_heartbeat_task_records_its_worker(db):
    from reminders.models import WorkerHeartbeat
    from reminders.tasks import reminders_heartbeat

    reminders_heartbeat.apply()
    assert WorkerHeartbeat.objects.get().seen_at > timezone.now() - datetime.timedelta(seconds=5)
