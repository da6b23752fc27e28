"""Liveness of what CareHub depends on (the database and the Celery broker), and the
admin index's health panel: a registry of status functions other apps add to."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext_lazy as _

from carehub.celery import app as celery_app

logger = logging.getLogger(__name__)


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


# --- /healthz: the parts of the running system ---------------------------------------------


@dataclass(frozen=True)
class Part:
    """One part /healthz reports: "ok" or "down", with figures an operator reads."""

    state: str
    details: dict | None = None


PartFunction = Callable[[], Part]
_parts: dict[str, PartFunction] = {}


def register_part(name: str) -> Callable[[PartFunction], PartFunction]:
    """A part of the system for /healthz beyond the database and the broker (the apps
    above this package add theirs in ``AppConfig.ready``: reminders adds the workers'
    heartbeat, beat's last run and the outbox backlog). The function must be cheap."""

    def decorator(function: PartFunction) -> PartFunction:
        _parts[name] = function
        return function

    return decorator


def parts_state() -> dict[str, dict]:
    """Every part's state; a part whose check fails is down (its reason goes to the log)."""
    parts: dict[str, dict] = {
        "database": {"state": database_state()},
        "broker": {"state": broker_state()},
    }
    for name, function in _parts.items():
        if parts["database"]["state"] != "ok":
            parts[name] = {"state": "unknown"}
            continue
        try:
            part = function()
        except Exception:  # a broken check says "down", it does not take /healthz down
            logger.exception("health part %s failed", name)
            part = Part("down")
        parts[name] = {"state": part.state, **(part.details or {})}
    return parts


# --- The admin index's health panel ------------------------------------------------------


@dataclass(frozen=True)
class StatusLine:
    """One line of the admin index's health panel."""

    label: str
    state: str  # "ok", "warning" or "down"
    detail: str = ""


StatusFunction = Callable[[], Iterable[StatusLine]]
_status_functions: list[tuple[int, StatusFunction]] = []


def register_status(*, order: int) -> Callable[[StatusFunction], StatusFunction]:
    """Add lines to the health panel: ``health.register_status(order=30)(reminder_status)``
    in an app's ``AppConfig.ready`` (reminders: failed and waiting, last dispatcher run).
    The function returns StatusLines; it must be cheap (a query or two) and not raise."""

    def decorator(function: StatusFunction) -> StatusFunction:
        if all(existing is not function for _order, existing in _status_functions):
            _status_functions.append((order, function))
            _status_functions.sort(key=lambda item: item[0])
        return function

    return decorator


@register_status(order=10)
def core_status() -> list[StatusLine]:
    database, broker = database_state(), broker_state()
    return [
        StatusLine(_("Database"), database, connection.vendor),
        StatusLine(_("Task broker"), broker, _("Celery broker")),
    ]


def system_status() -> list[StatusLine]:
    """Every registered line, in order; a function that fails shows as down."""
    lines: list[StatusLine] = []
    for _order, function in _status_functions:
        try:
            lines.extend(function())
        except Exception:  # a broken check must not take the admin index down with it
            logger.exception("health status function %s failed", function.__name__)
            lines.append(StatusLine(function.__name__, "down", _("check failed")))
    return lines
