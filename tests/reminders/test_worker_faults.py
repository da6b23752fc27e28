"""2,000 due reminders, real Celery worker processes, a real Redis: each delivered once.

Faults: (a) the worker is killed with SIGKILL mid-batch and restarted, (b) two workers run
at once, (c) Redis is restarted during dispatch (and the worker must resume consuming),
(d) every task message is published twice. Delivery is counted at the file email backend
by Message-ID (<reminder-ID@carehub>).

The test process plays beat: it calls the dispatcher in a loop, as the beat task does each
minute. The workers use this test's PostgreSQL database and a Redis server of the test's
own on a free port (so the shared Redis on 6379 is never restarted). Claims expire after
8 seconds here (15 minutes by default) so a dead worker's batch comes back quickly.

The one window no design closes (a SIGKILL after the mail left and before "sent" was
committed) is counted on the row (uncertain_attempts): a Message-ID seen twice must be
one of those, never a silent duplicate; with no kill there must be none at all. The send
task starts and marks sent REMINDERS_SEND_GROUP emails at a time, so a kill leaves at most
one group per pool process in that window.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import signal
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from kombu import pools as kombu_pools

from carehub.celery import app as celery_app
from reminders import dispatch
from reminders.models import Reminder, ReminderChannel, ReminderKind, ReminderState
from tests.factories import UserFactory
from tests.reminders.conftest import FAULT_REPORT

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"
TOTAL = 2000
CLAIM_SECONDS = 8
CONCURRENCY = 2  # pool processes per worker
MESSAGE_ID = re.compile(rb"^Message-ID: <reminder-(\d+)@carehub>", re.MULTILINE)


# --- Redis of our own ---------------------------------------------------------------------


def _free_port(start: int = 6390) -> int:
    for port in range(start, start + 100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for a test Redis")


class OwnRedis:
    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def _cli(self, *args, timeout=5):
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self):
        subprocess.run(
            ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1"]
            + ["--port", str(self.port), "--save", "", "--appendonly", "no"],
            check=True,
            capture_output=True,
            timeout=10,
        )
        deadline = time.monotonic() + 10
        while self._cli("ping").stdout.strip() != "PONG":
            assert time.monotonic() < deadline, "test Redis did not start"
            time.sleep(0.05)

    def stop(self):
        self._cli("shutdown", "nosave")
        deadline = time.monotonic() + 10
        while self._cli("ping").returncode == 0 and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def own_redis():
    redis = OwnRedis()
    redis.start()
    # The test process publishes (it plays beat) to this Redis too.
    saved = celery_app.conf.broker_url
    _point_celery_at(redis.url)
    try:
        yield redis
    finally:
        _point_celery_at(saved)
        redis.stop()


def _point_celery_at(url: str) -> None:
    celery_app.conf.broker_url = url
    celery_app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        celery_app.__dict__["amqp"]._producer_pool = None
    # kombu keeps its connection and producer pools in a global registry: start afresh.
    kombu_pools.reset()


# --- Workers --------------------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db.get('HOST') or '127.0.0.1'}"
        f":{db.get('PORT') or 5432}/{db['NAME']}"
    )


class Worker:
    def __init__(
        self, *, name: str, redis: OwnRedis, tmp_path: Path, concurrency: int = CONCURRENCY
    ):
        self.name = name
        self.log_path = tmp_path / f"worker-{name}.log"
        self.env = {
            **os.environ,
            "DEBUG": "true",
            "CAREHUB_VAR_DIR": str(tmp_path / "var"),
            # pytest-django's test database, so the worker sees this test's rows.
            "DATABASE_URL": _database_url(),
            "REDIS_URL": redis.url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp_path / "mail"),
            "REMINDERS_SEND_MARGIN": "2",
            "REMINDERS_CLAIM_TIMEOUT": str(CLAIM_SECONDS),
        }
        self.args = [
            str(CELERY), "-A", "carehub", "worker", "--loglevel", "INFO",
            "--concurrency", str(concurrency), "--pool", "prefork", "-n", f"{name}@%h",
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill it with its children
        )
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while b" ready." not in self.log_path.read_bytes():
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "worker not ready:\n" + self.log()[-3000:]
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: nothing gets to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@pytest.fixture
def workers():
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()
    # The workers' connections are gone before pytest-django flushes the database.
    connection.close()


# --- The scenario ---------------------------------------------------------------------------


@pytest.fixture
def due_reminders(settings, db):
    settings.REMINDERS_CLAIM_TIMEOUT = datetime.timedelta(seconds=CLAIM_SECONDS)
    # Hand work out gradually, as a busy minute would, so faults land mid-dispatch.
    settings.REMINDERS_DISPATCH_MAX = 200
    user = UserFactory(username="recipient", email="recipient@carehub.test")
    due = timezone.now() - datetime.timedelta(minutes=5)
    Reminder.objects.bulk_create(
        Reminder(
            kind=ReminderKind.TASK_DUE,
            channel=ReminderChannel.EMAIL,
            recipient_user=user,
            key=f"fault-test:{number}",
            send_at=due,
            context={"title": f"Task #{number}"},
        )
        for number in range(TOTAL)
    )
    return set(Reminder.objects.values_list("pk", flat=True))


def sent_count() -> int:
    return Reminder.objects.filter(state=ReminderState.SENT).count()


def dispatch_until(condition, *, timeout: float, interval: float = 0.1) -> None:
    """Play beat (faster than once a minute) until ``condition()`` or the timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out with {sent_count()} of {TOTAL} sent"
        dispatch.reminders_dispatch()
        time.sleep(interval)


def delivered(tmp_path: Path) -> Counter:
    counts: Counter = Counter()
    for path in (tmp_path / "mail").glob("*"):
        counts.update(int(pk) for pk in MESSAGE_ID.findall(path.read_bytes()))
    return counts


def check_exactly_once(tmp_path, ids: set[int], label: str, *, faults_may_leave_window: bool):
    time.sleep(0.5)  # a straggler would have written by now
    counts = delivered(tmp_path)
    lost = ids - set(counts)
    twice = {pk for pk, n in counts.items() if n > 1}
    uncertain = dict(
        Reminder.objects.filter(uncertain_attempts__gt=0).values_list("pk", "uncertain_attempts")
    )
    FAULT_REPORT.append(
        f"[{label}] due={len(ids)} delivered={len(set(counts) & ids)} "
        f"messages={sum(counts.values())} lost={len(lost)} twice={len(twice)} "
        f"uncertain_window={sum(uncertain.values())} (ids {sorted(uncertain)[:10]})"
    )
    assert set(counts) <= ids
    assert not lost, f"lost: {sorted(lost)[:20]}"
    assert Reminder.objects.exclude(state=ReminderState.SENT).count() == 0
    # A message seen twice is always one the outbox counted as uncertain: never hidden.
    assert twice <= set(uncertain), f"silent duplicates: {sorted(twice - set(uncertain))}"
    if not faults_may_leave_window:
        assert not twice and not uncertain
    return counts, twice, uncertain


def test_sigkill_mid_batch_then_restart(tmp_path, own_redis, workers, due_reminders, settings):
    worker = Worker(name="a1", redis=own_redis, tmp_path=tmp_path)
    workers.append(worker.start())
    worker.wait_ready()
    dispatch_until(lambda: sent_count() >= TOTAL // 4, timeout=60, interval=0.02)
    worker.kill()
    killed_at = sent_count()
    assert killed_at < TOTAL, "the worker finished before it could be killed"
    replacement = Worker(name="a2", redis=own_redis, tmp_path=tmp_path)
    workers.append(replacement.start())
    replacement.wait_ready()
    dispatch_until(lambda: sent_count() == TOTAL, timeout=90)
    FAULT_REPORT.append(f"[a] killed with {killed_at} of {TOTAL} sent")
    _counts, twice, uncertain = check_exactly_once(
        tmp_path, due_reminders, "a: SIGKILL mid-batch", faults_may_leave_window=True
    )
    # At most the one group each pool process had in hand when it died: no more counted
    # uncertain, and no more sent twice.
    window = settings.REMINDERS_SEND_GROUP * CONCURRENCY
    assert sum(uncertain.values()) <= window
    assert len(twice) <= window


def test_two_workers_at_once(tmp_path, own_redis, workers, due_reminders):
    for name in ("b1", "b2"):
        workers.append(Worker(name=name, redis=own_redis, tmp_path=tmp_path).start())
    for worker in workers:
        worker.wait_ready()
    dispatch_until(lambda: sent_count() == TOTAL, timeout=90)
    for worker in workers:
        worker.stop()
    check_exactly_once(tmp_path, due_reminders, "b: two workers", faults_may_leave_window=False)
    # Both took part.
    assert all("reminders.send" in worker.log() for worker in workers)


def test_redis_restarted_during_dispatch(tmp_path, own_redis, workers, due_reminders, settings):
    # Claim no faster than the worker sends, so work is still unclaimed when Redis returns
    # and the time to resume measures the worker, not the claims' expiry.
    settings.REMINDERS_DISPATCH_MAX = 100
    worker = Worker(name="c1", redis=own_redis, tmp_path=tmp_path)
    workers.append(worker.start())
    worker.wait_ready()
    dispatch_until(lambda: sent_count() >= TOTAL // 4, timeout=60, interval=0.2)
    own_redis.stop()
    down_at = sent_count()
    # Beat keeps running while Redis is down: claims are handed back, nothing is lost.
    handed_back = 0
    outage_end = time.monotonic() + 3
    while time.monotonic() < outage_end:
        handed_back += dispatch.reminders_dispatch().handed_back
        time.sleep(0.2)
    assert handed_back > 0
    assert Reminder.objects.filter(state=ReminderState.SCHEDULED).exists()
    own_redis.start()
    restarted = time.monotonic()
    before = sent_count()
    dispatch_until(lambda: sent_count() > before, timeout=60, interval=0.1)
    resumed_after = time.monotonic() - restarted
    dispatch_until(lambda: sent_count() == TOTAL, timeout=90)
    worker.stop()
    FAULT_REPORT.append(
        f"[c] Redis stopped with {down_at} sent, {handed_back} claims handed back during "
        f"the outage; worker resumed consuming "
        f"{resumed_after:.1f} s after Redis came back"
    )
    check_exactly_once(tmp_path, due_reminders, "c: Redis restart", faults_may_leave_window=False)
    assert resumed_after < 30


def test_every_message_published_twice(tmp_path, own_redis, workers, due_reminders, monkeypatch):
    publish_once = dispatch._publish

    def publish_twice(ids):
        publish_once(ids)
        publish_once(ids)

    monkeypatch.setattr(dispatch, "_publish", publish_twice)
    worker = Worker(name="d1", redis=own_redis, tmp_path=tmp_path)
    workers.append(worker.start())
    worker.wait_ready()
    dispatch_until(lambda: sent_count() == TOTAL, timeout=90)
    worker.stop()
    check_exactly_once(
        tmp_path, due_reminders, "d: every message twice", faults_may_leave_window=False
    )
