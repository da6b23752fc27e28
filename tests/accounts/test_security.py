"""Sign-in lockout, session limits, sign out everywhere, headers."""

import datetime
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def sign_in(client, user, password=TEST_PASSWORD):
    return client.post(reverse("accounts:login"), {"username": user.username, "password": password})


def test_five_failures_lock_the_account_even_for_the_right_password(client, coordinator):
    for _ in range(5):
        sign_in(client, coordinator, "wrong-password-123")
    response = sign_in(client, coordinator)
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert client.get(reverse("patients:list")).status_code == 302


def test_lockout_message_is_the_same_for_unknown_users(client):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "nobody-here", "password": "x" * 12})
    response = client.post(
        reverse("accounts:login"), {"username": "nobody-here", "password": "x" * 12}
    )
    assert response.status_code == 429 and b"Too many attempts" in response.content


def test_lock_lifts_after_fifteen_minutes(client, coordinator):
    with time_machine.travel(
        datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False
    ) as clock:
        for _ in range(5):
            sign_in(client, coordinator, "wrong-password-123")
        assert sign_in(client, coordinator).status_code == 429
        clock.shift(datetime.timedelta(minutes=16))
        assert sign_in(client, coordinator).status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_lockout_holds_under_fifty_parallel_attempts(coordinator):
    barrier = threading.Barrier(50)
    results = []

    def attempt():
        from django.db import connection

        barrier.wait()
        try:
            results.append(sign_in(Client(), coordinator, "wrong-password-123").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 50 and all(code in (200, 429) for code in results)
    assert sign_in(Client(), coordinator).status_code == 429


def test_idle_sign_out_after_fifteen_minutes(client, coordinator):
    with time_machine.travel(
        datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False
    ) as clock:
        sign_in(client, coordinator)
        clock.shift(datetime.timedelta(minutes=14))
        assert client.get(reverse("patients:list")).status_code == 200
        clock.shift(datetime.timedelta(minutes=14))  # active 14 minutes ago: still in
        assert client.get(reverse("patients:list")).status_code == 200
        clock.shift(datetime.timedelta(minutes=16))
        response = client.get(reverse("patients:list"))
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("accounts:login")
        )
        assert client.get(reverse("patients:list")).status_code == 302


def test_a_rotated_key_keeps_sessions_while_the_old_key_is_a_fallback(
    coordinator, case_manager, settings
):
    active, idle = Client(), Client()
    sign_in(active, coordinator)
    sign_in(idle, case_manager)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "n" * 20 + "-the-new-key-after-rotation-0123456789abcdef"
    # A session used while the old key is a fallback moves to the new key.
    assert active.get(reverse("patients:list")).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert active.get(reverse("patients:list")).status_code == 200
    # One not used until the old key is dropped has to sign in again.
    response = idle.get(reverse("patients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_absolute_session_limit_of_twelve_hours(client, coordinator):
    with time_machine.travel(
        datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC), tick=False
    ) as clock:
        sign_in(client, coordinator)
        for _ in range(12 * 6):  # active every 10 minutes
            clock.shift(datetime.timedelta(minutes=10))
            if client.get(reverse("patients:list")).status_code != 200:
                break
        assert (
            time.time() - datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC).timestamp()
            >= 12 * 3600 - 600
        )
        clock.shift(datetime.timedelta(minutes=10))
        assert client.get(reverse("patients:list")).status_code == 302


def test_sign_out_everywhere_ends_every_session(coordinator):
    laptop, phone = Client(), Client()
    sign_in(laptop, coordinator)
    sign_in(phone, coordinator)
    assert phone.get(reverse("accounts:security")).status_code == 200
    laptop.post(reverse("accounts:sign_out_everywhere"))
    assert laptop.get(reverse("patients:list")).status_code == 302
    assert phone.get(reverse("patients:list")).status_code == 302


def test_password_change_ends_other_sessions(coordinator):
    laptop, phone = Client(), Client()
    sign_in(laptop, coordinator)
    sign_in(phone, coordinator)
    new = "a-brand-new-passphrase-42"
    response = laptop.post(
        reverse("accounts:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert laptop.get(reverse("patients:list")).status_code == 200
    assert phone.get(reverse("patients:list")).status_code == 302


def test_phi_pages_are_not_stored_and_carry_a_strict_csp(coordinator_client, patient):
    response = coordinator_client.get(reverse("patients:detail", args=[patient.pk]))
    assert "no-store" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script(coordinator_client, patient):
    import re

    for url in [
        reverse("patients:list"),
        reverse("patients:detail", args=[patient.pk]),
        reverse("patients:create"),
    ]:
        html = coordinator_client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_check_deploy_passes_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "p" * 30 + "-a-real-production-secret-0123456789",
        "ALLOWED_HOSTS": "care.example.org",
        "CAREHUB_VAR_DIR": str(tmp_path),
    }
    for name in ("CAREHUB_DEMO", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    # Production refuses SQLite and the filesystem broker; check --deploy connects to neither.
    env["DATABASE_URL"] = "postgres://carehub@db.internal:5432/carehub"
    env["REDIS_URL"] = "redis://cache.internal:6379/0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
