"""The sections of the coordinator's My day, as data.

An app adds a section by registering a function, in its ``AppConfig.ready``::

    from dashboards import sections
    sections.register(order=15)(follow_ups_section)

The function takes ``(request, day)`` and returns a ``DaySection``, a list of them (several
sections read by one query) or None (nothing to show, e.g. no permission). It must run a
constant number of queries whatever the data: one is the rule, rows and their totals
together (``selectors.my_day.first_rows`` and ``first_rows_per_bucket``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

from accounts.models import User
from audit import context as audit_context


@dataclass(frozen=True)
class Day:
    """The moment My day is drawn for, in the user's time zone."""

    user: User
    now: datetime.datetime
    today: datetime.date
    end_of_today: datetime.datetime


@dataclass
class DaySection:
    key: str  # unique on the page: the section's id and its heading's
    title: str
    count: int  # the badge: every matching row, not only those shown
    template: str  # renders ``rows`` (and ``context``)
    rows: list = field(default_factory=list)
    empty: str = ""
    more_url: str = ""  # the full, filtered list when ``count`` exceeds the rows shown
    context: dict = field(default_factory=dict)

    @property
    def more(self) -> int:
        return max(self.count - len(self.rows), 0)


SectionFunction = Callable[[HttpRequest, Day], DaySection | list[DaySection] | None]
_registry: list[tuple[int, SectionFunction]] = []


def register(*, order: int) -> Callable[[SectionFunction], SectionFunction]:
    def decorator(function: SectionFunction) -> SectionFunction:
        if all(existing is not function for _order, existing in _registry):
            _registry.append((order, function))
            _registry.sort(key=lambda item: item[0])
        return function

    return decorator


def sections_for(request: HttpRequest, day: Day) -> list[DaySection]:
    found: list[DaySection] = []
    for _order, function in _registry:
        result = function(request, day)
        if isinstance(result, DaySection):
            found.append(result)
        elif result:
            found.extend(result)
    for section in found:  # every patient the page shows, in its audit row
        audit_context.note_listed(section.rows)
    return found
