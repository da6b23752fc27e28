"""A hung Redis (SIGSTOP: it accepts nothing and answers nothing) costs the API one short
timeout, not one per request: the throttle's circuit breaker skips the cache after a
failure, and uses it again once Redis answers. A real redis-server of the test's own, on
a spare port, so the shared one is never paused."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import pytest
from django.core.cache import caches

from api import throttling
from api.tokens import api_token_create
from tests.api.test_auth import PATIENTS, bearer

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def _free_port(start: int = 6490) -> int:
    for port in range(start, start + 100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for a test Redis")


@pytest.fixture
def paused_redis(settings):
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - a fixed command line
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert time.monotonic() < deadline, "test Redis did not start"
        time.sleep(0.05)
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {**settings.CACHES["throttle"], "LOCATION": f"redis://127.0.0.1:{port}/0"},
    }
    settings.API_THROTTLE_RATES = {"user": "1000/minute", "anon": "1000/minute"}
    throttling.BREAKER.succeeded()
    try:
        yield server
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.terminate()
        server.wait(timeout=10)
        throttling.BREAKER.succeeded()


def test_a_hung_redis_costs_one_short_timeout_then_nothing(paused_redis, coordinator, caplog):
    _token, key = api_token_create(user=coordinator, by=coordinator, name="sync")
    client = bearer(key)
    assert client.get(PATIENTS).status_code == 200  # counted in Redis
    assert caches["throttle"].get_many([]) == {}  # and the cache is that Redis

    os.kill(paused_redis.pid, signal.SIGSTOP)
    started = time.monotonic()
    statuses = [client.get(PATIENTS).status_code for _ in range(20)]
    elapsed = time.monotonic() - started
    assert statuses == [200] * 20
    # One request waits for the 0.25 s timeout; the breaker spares the other 19. Without it:
    # 20 x the socket timeout.
    assert elapsed < 0.25 + 19 * 0.05 + 1.0, elapsed
    assert throttling.BREAKER.is_open
    assert "throttle cache unavailable" in caplog.text

    os.kill(paused_redis.pid, signal.SIGCONT)
    throttling.BREAKER._open_until = time.monotonic() - 1  # the cooldown has passed
    assert client.get(PATIENTS).status_code == 200
    assert not throttling.BREAKER.is_open  # Redis answered: counting there again


def test_the_breaker_lets_one_caller_try_after_the_cooldown():
    from carehub.circuit import CircuitBreaker

    breaker = CircuitBreaker(cooldown=0.05)
    assert breaker.allow()
    breaker.failed()
    assert not breaker.allow()
    time.sleep(0.06)
    assert breaker.allow() and not breaker.allow()  # half-open: one at a time
    breaker.succeeded()
    assert breaker.allow() and breaker.allow()
