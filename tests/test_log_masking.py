"""A bearer credential never reaches a log: the receiving service's signed link (a
credential in the path) and API tokens are masked in Django's loggers and in gunicorn's
access and error logs, through a whole link flow (opened, answered without a CSRF cookie,
altered, a wrong path under it)."""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from carehub.logging import mask_credentials
from referrals import links
from tests.referrals.factories import ReferralFactory

ROOT = Path(__file__).resolve().parent.parent
MASKED = "/referrals/respond/…/"


def secret_parts(token: str) -> list[str]:
    """The token and each of its signed parts long enough to identify it."""
    return [token, *(part for part in token.split(":") if len(part) >= 6)]


def assert_masked(output: str, token: str) -> None:
    for part in secret_parts(token):
        assert part not in output


def test_mask_credentials_keeps_the_line_and_drops_the_credential():
    assert mask_credentials("GET /referrals/respond/eyJyIjo:1x:abc/ HTTP/1.1") == (
        "GET /referrals/respond/…/ HTTP/1.1"
    )
    assert mask_credentials("Authorization: Bearer chk_AbC123_xyz") == "Authorization: Bearer …"
    assert mask_credentials("token chk_AbC123-xyz, then") == "token chk_…, then"
    assert mask_credentials("/patients/12/") == "/patients/12/"


@pytest.fixture
def console_output():
    """What every stream handler of every logger writes during the test (LOGGING's, and
    any a library or Django's defaults left in place)."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    handlers = {
        handler
        for logger in loggers
        for handler in getattr(logger, "handlers", ())
        if isinstance(handler, logging.StreamHandler)
        and not isinstance(handler, logging.FileHandler)
    }
    stream = io.StringIO()
    previous = {handler: handler.setStream(stream) for handler in handlers}
    yield stream
    for handler, old in previous.items():
        handler.setStream(old)


@pytest.mark.django_db
def test_the_link_flow_leaves_no_credential_in_djangos_logs(console_output, settings):
    settings.DEBUG = True  # as `make run` runs: Django's own DEBUG-only handlers included
    referral = ReferralFactory(sent=True)
    token = links.make_token(referral)
    url = reverse("referrals:respond", kwargs={"token": token})
    assert Client().get(url).status_code == 200
    # Django logs a CSRF refusal with the path ("Forbidden (CSRF cookie not set.): ...").
    assert Client(enforce_csrf_checks=True).post(url, {"action": "accepted"}).status_code == 403
    assert Client().get(url.replace(token, token[:-3] + "xyz")).status_code == 403
    # "Not Found: <path>" from django.request.
    assert Client().get(url + "more/").status_code == 404
    # The development server's request line (django.server).
    logging.getLogger("django.server").info('"%s" %s %s', f"GET {url} HTTP/1.1", "200", "99")
    output = console_output.getvalue()
    assert "Forbidden (CSRF cookie not set.)" in output
    assert "Not Found" in output
    assert output.count(MASKED) >= 3
    assert_masked(output, token)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(url, data=data, timeout=20) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_link_flow_leaves_no_credential_in_gunicorns_logs(tmp_path):
    """gunicorn as deployed (gunicorn.conf.py) on the test database."""
    referral = ReferralFactory(sent=True)
    token = links.make_token(referral)
    db = connection.settings_dict
    port = free_port()
    env = dict(
        os.environ,
        DEBUG="true",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        GUNICORN_ACCESSLOG="-",
    )
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "carehub.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            url = base + reverse("referrals:respond", kwargs={"token": token})
            assert call(url) == 200
            assert call(url, data=b"action=accepted") == 403
            assert call(url.replace(token, token[:-3] + "xyz")) == 403
            assert call(url + "more/") == 404
        finally:
            server.terminate()
            server.wait(timeout=30)
    output = out.read_text() + err.read_text()
    access_lines = [line for line in output.splitlines() if ' HTTP/1.1" ' in line]
    assert len(access_lines) == 4, output
    assert all("/referrals/respond/…/" in line for line in access_lines)
    assert "Forbidden (CSRF cookie not set.)" in output
    assert_masked(output, token)
