"""Dashboards drawn once and kept until their data changes.

My day and the caseload review read many rows to show a few figures; drawing them costs
far more than serving them. A drawn dashboard is kept, per user, in the "dashboards"
cache (LocMemCache: inside the web process, so patient data never leaves it) under a key
made of everything it depends on:

- the user, their permissions, language, time zone and CSRF secret (the rows carry
  forms);
- the generation of the user's teams: the newest ``TeamChange`` id, written by PostgreSQL
  triggers on every statement that touches those teams' records (``models.TeamChange``),
  and the teams' ids;
- the minute, so "overdue" and "due today" follow the clock;
- the page's own choices (the caseload's period, team and sort).

Any write, by anyone, through any path, gives the next request a new key; nothing is
ever invalidated by hand. Without PostgreSQL (the SQLite demo) there are no triggers
and dashboards are drawn on every request.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from audit import context as audit_context
from dashboards.models import TeamChange

CACHE_ALIAS = "dashboards"

_GENERATION_SQL = """
SELECT GREATEST(
  (SELECT MAX(c.id) FROM dashboards_teamchange c WHERE c.team_id IS NULL),
  (SELECT MAX((SELECT MAX(c.id) FROM dashboards_teamchange c WHERE c.team_id = m.team_id))
     FROM accounts_teammembership m WHERE m.user_id = %s)
),
ARRAY(SELECT m.team_id FROM accounts_teammembership m WHERE m.user_id = %s ORDER BY 1)
"""


def enabled() -> bool:
    return settings.CAREHUB_DASHBOARD_CACHE and connection.vendor == "postgresql"


def generation(user) -> str:
    """The newest change of the user's teams (of all teams for admins), and which teams
    they are: one query. The teams themselves count: a user taken off a team whose change
    was not the newest would otherwise keep the key, and the page showing its patients."""
    with connection.cursor() as cursor:
        if user.is_admin:
            cursor.execute("SELECT MAX(id), ARRAY[]::integer[] FROM dashboards_teamchange")
        else:
            cursor.execute(_GENERATION_SQL, [user.pk, user.pk])
        newest, team_ids = cursor.fetchone()
    return f"{newest or 0}/{','.join(map(str, team_ids))}"


def clock_period(user_pk: int, minutes: int) -> int:
    """Which period of ``minutes`` it is for this user. Each user's periods start at an
    offset of their own, so that kept pages do not all expire in the same second."""
    seconds = 60 * minutes
    return int((time.time() + (user_pk * 7919) % seconds) // seconds)


def _key(request: HttpRequest, page: str, choices: str, minutes: int) -> str | None:
    user = request.user
    team_generation = generation(user)  # first: every request runs the same queries
    csrf_secret = request.META.get("CSRF_COOKIE")
    if not csrf_secret:
        return None  # the page would mint the CSRF cookie: draw it, keep nothing
    parts = [
        page,
        str(user.pk),
        team_generation,
        ",".join(sorted(user.get_all_permissions())),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        str(clock_period(user.pk, minutes)),
        choices,
        csrf_secret,
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{page}:{user.pk}:{digest}"


def kept(
    request: HttpRequest,
    page: str,
    draw: Callable[[], SafeString],
    *,
    choices: str = "",
    minutes: int = 1,
) -> SafeString:
    """The template output ``draw()`` returns for this request (a SafeString: it stays one
    through the cache), drawn again only when something it depends on changed, and at
    least every ``minutes`` for what changes with the clock alone (work falling due)."""
    if not enabled():
        return draw()
    key = _key(request, page, choices, minutes)
    if key is None:
        return draw()
    cache = caches[CACHE_ALIAS]
    kept_body = cache.get(key)
    if isinstance(kept_body, tuple):
        html, shown = kept_body
        # The patients the body shows are in this request's audit row too.
        audit_context.note_patients(shown)
        return html
    with audit_context.collecting() as shown:
        html = draw()
    cache.set(key, (html, list(shown)))
    return html


def prune(*, older_than: datetime.timedelta = datetime.timedelta(minutes=10)) -> int:
    """Delete change rows older than ``older_than``, keeping each team's newest (its
    generation must never go back). Returns how many were deleted."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM dashboards_teamchange c
            USING (SELECT team_id, MAX(id) AS newest FROM dashboards_teamchange
                   GROUP BY team_id) n
            WHERE c.team_id IS NOT DISTINCT FROM n.team_id
              AND c.id < n.newest
              AND c.changed_at < %s
            """,
            [timezone.now() - older_than],
        )
        return cursor.rowcount


__all__ = ["TeamChange", "enabled", "generation", "kept", "prune"]
