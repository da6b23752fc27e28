"""Liveness of what CareHub depends on: the database and the Celery broker."""

from __future__ import annotations

from django.db import connection

from carehub.celery import app as celery_app


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means "down"; the reason goes to the log only
        return "down"
    return "ok"


def broker_state(timeout: float = 2.0) -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
            # Opening a channel proves the transport answers, not only that a socket opened.
            conn.default_channel  # noqa: B018
    except Exception:
        return "down"
    return "ok"
