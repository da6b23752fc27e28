"""Recurrence at frozen clocks: around midnight in several zones and across daylight-saving
changes, so the suite's result never depends on the hour or the day it runs.

Each case freezes the clock (time-machine) at one instant, with the clinic's zone
(``TIME_ZONE``) and the assignee's zone set apart where that matters, and runs the same
checks as tests/careplans/test_services.py."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from careplans import transitions
from careplans.models import Task
from tests.careplans.test_services import (
    _weekly,
    assert_a_series_stops_at_its_end_date_and_skips_missed_intervals,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def _at(zone: str, *args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC)


# (clinic zone, assignee zone, the frozen instant)
INSTANTS = [
    ("America/New_York", "America/New_York", _at("America/New_York", 2026, 12, 7, 23, 59)),
    ("America/New_York", "America/New_York", _at("America/New_York", 2026, 12, 8, 0, 0)),
    ("America/New_York", "America/New_York", _at("America/New_York", 2026, 12, 8, 0, 30)),
    # The hour the defect was reported at: 02:00 UTC is the evening before in New York.
    ("America/New_York", "America/New_York", datetime.datetime(2026, 12, 8, 2, 0, tzinfo=UTC)),
    ("UTC", "America/New_York", datetime.datetime(2026, 12, 8, 2, 0, tzinfo=UTC)),
    ("America/New_York", "UTC", datetime.datetime(2026, 12, 8, 0, 30, tzinfo=UTC)),
    ("America/New_York", "Pacific/Auckland", _at("Pacific/Auckland", 2026, 12, 8, 0, 30)),
    ("Pacific/Auckland", "America/Los_Angeles", _at("America/Los_Angeles", 2026, 12, 7, 23, 30)),
    # A day apart from UTC either way.
    ("Pacific/Kiritimati", "Pacific/Pago_Pago", datetime.datetime(2026, 6, 1, 10, 30, tzinfo=UTC)),
    ("Pacific/Pago_Pago", "Pacific/Kiritimati", datetime.datetime(2026, 6, 1, 10, 30, tzinfo=UTC)),
    # Across daylight-saving changes: the first due time is on the other side of one.
    ("America/New_York", "America/New_York", _at("America/New_York", 2026, 3, 10, 0, 30)),
    ("America/New_York", "America/New_York", _at("America/New_York", 2026, 11, 3, 0, 30)),
    ("America/New_York", "America/New_York", _at("America/New_York", 2026, 3, 8, 3, 30)),
    ("America/New_York", "Europe/London", _at("Europe/London", 2026, 3, 31, 0, 15)),
    ("Europe/London", "Pacific/Auckland", _at("Pacific/Auckland", 2026, 4, 7, 0, 30)),
    ("UTC", "Pacific/Auckland", _at("Pacific/Auckland", 2026, 9, 29, 23, 45)),
]


def _ids(case):
    clinic, assignee, instant = case
    return f"{clinic}-{assignee}-{instant:%Y%m%dT%H%MZ}"


@pytest.fixture(params=INSTANTS, ids=[_ids(c) for c in INSTANTS])
def frozen(request, settings, time_machine, coordinator):
    clinic, assignee, instant = request.param
    settings.TIME_ZONE = clinic
    coordinator.time_zone = assignee
    coordinator.save(update_fields=["time_zone"])
    time_machine.move_to(instant, tick=False)
    return zoneinfo.ZoneInfo(assignee)


def test_a_series_stops_at_its_end_date_at_any_hour(frozen, patient, coordinator):
    assert_a_series_stops_at_its_end_date_and_skips_missed_intervals(patient, coordinator)


def test_a_series_ending_on_the_next_due_date_still_holds_that_occurrence(
    frozen, patient, coordinator
):
    """The end date is inclusive on the series' clock: an occurrence due on that day, at
    any hour of it, is created; one due the day after is not."""
    now = timezone.now()
    due = (now + datetime.timedelta(hours=1)).astimezone(frozen).replace(hour=23, minute=30)
    task = _weekly(patient, coordinator, due_at=due, repeat_count=None, repeat_until=due.date())
    task.repeat_until = (due + datetime.timedelta(days=7)).date()
    task.save(update_fields=["repeat_until"])
    transitions.task_complete(task=task, by=coordinator)
    following = Task.objects.get(series=task, occurrence=2)
    assert following.due_at.astimezone(frozen).date() == task.repeat_until
    assert following.due_at.astimezone(frozen).time() == datetime.time(23, 30)
    transitions.task_complete(task=following, by=coordinator)
    assert not Task.objects.filter(series=task, occurrence=3).exists()


def test_a_weekly_call_keeps_its_wall_clock_hour(frozen, patient, coordinator):
    """Nine o'clock on the assignee's clock stays nine o'clock, across a clock change too."""
    now = timezone.now().astimezone(frozen)
    first = (now - datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    task = _weekly(patient, coordinator, due_at=first)
    transitions.task_complete(task=task, by=coordinator)
    following = Task.objects.get(series=task, occurrence=2).due_at.astimezone(frozen)
    assert following.time() == datetime.time(9, 0)
    assert following.date() == first.date() + datetime.timedelta(days=7)
