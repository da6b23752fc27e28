"""Closed-loop figures per team and coordinator, on a hand-made data set."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from referrals.models import OutcomeCode, Priority, ReferralStatus
from referrals.selectors import referral_figures
from referrals.transitions import referral_move
from tests.referrals.factories import ReferralFactory, walk

pytestmark = pytest.mark.django_db
S = ReferralStatus
UTC = datetime.UTC


def day(month, dom, hour=9):
    return datetime.datetime(2026, month, dom, hour, 0, tzinfo=UTC)


PERIOD = (day(3, 1, 0), day(4, 1, 0))
NOW = day(4, 5)


def story(patient, by, steps, **kwargs):
    """A referral created at the first step's time and moved at each step's time."""
    with time_machine.travel(steps[0][0], tick=False):
        referral = ReferralFactory(patient=patient, referred_by=by, **kwargs)
    for when, target, *details in steps:
        with time_machine.travel(when, tick=False):
            if details:
                referral = referral_move(
                    referral=referral, to=target, by=by, expected_version=referral.version,
                    **details[0],
                ).referral  # fmt: skip
            else:
                referral = walk(referral, [target], by=by)
    return referral


@pytest.fixture
def data_set(patient, patient_b, coordinator, case_manager, coordinator_b):
    # R1: accepted after 2 days, outcome after 10, closed: a closed loop.
    story(
        patient,
        coordinator,
        [
            (day(3, 2), S.SENT),
            (day(3, 4), S.ACCEPTED),
            (day(3, 5), S.SCHEDULED),
            (day(3, 12), S.OUTCOME_RECORDED),
            (day(3, 13), S.CLOSED),
        ],
    )
    # R2: accepted after 1 day, outcome after 6, not reviewed yet.
    story(
        patient,
        coordinator,
        [
            (day(3, 10), S.SENT),
            (day(3, 11), S.ACCEPTED),
            (day(3, 12), S.SCHEDULED),
            (day(3, 16), S.OUTCOME_RECORDED),
        ],
    )
    # R3: declined as not eligible, then closed: closed with an outcome.
    story(
        patient,
        coordinator,
        [
            (day(3, 20), S.SENT),
            (
                day(3, 24),
                S.DECLINED,
                {"reason": "Income too high", "outcome_code": OutcomeCode.NOT_ELIGIBLE},
            ),
            (day(3, 25), S.CLOSED, {"reason": "Given up"}),
        ],
    )
    # R4 (case manager): accepted after 4 days, appointment on 22 March, no outcome: overdue.
    story(
        patient,
        case_manager,
        [(day(3, 15), S.SENT), (day(3, 19), S.ACCEPTED), (day(3, 19), S.SCHEDULED)],
    )
    # R5: sent before the period, never answered: overdue now, not "sent" in the period.
    story(patient, coordinator, [(day(2, 20), S.SENT)], priority=Priority.STAT)
    # R6 (team B): accepted after 3 days, then cancelled.
    story(
        patient_b,
        coordinator_b,
        [
            (day(3, 3), S.SENT),
            (day(3, 6), S.ACCEPTED),
            (day(3, 7), S.CANCELLED, {"reason": "Moved away"}),
        ],
    )
    # R7: sent after the period and not due yet; R8: a draft. Neither counts.
    story(patient, coordinator, [(day(4, 2), S.SENT)])
    with time_machine.travel(day(3, 8), tick=False):
        ReferralFactory(patient=patient, referred_by=coordinator)


def by_id(rows):
    return {row.group_id: row for row in rows}


def test_team_and_coordinator_figures(data_set, admin_user, team_a, team_b, coordinator,
                                      case_manager, coordinator_b):  # fmt: skip
    figures = referral_figures(user=admin_user, start=PERIOD[0], end=PERIOD[1], now=NOW)
    teams = by_id(figures["teams"])
    assert set(teams) == {team_a.pk, team_b.pk}
    a = teams[team_a.pk]
    assert (a.name, a.sent, a.closed_with_outcome, a.overdue_now) == ("Team A", 4, 2, 2)
    assert a.closed_loop_rate == pytest.approx(0.5)
    assert a.median_days_to_accept == pytest.approx(2.0)  # of 2, 1, 4
    assert a.median_days_to_outcome == pytest.approx(8.0)  # of 10, 6
    b = teams[team_b.pk]
    assert (b.sent, b.closed_with_outcome, b.overdue_now) == (1, 0, 0)
    assert b.closed_loop_rate == 0
    assert b.median_days_to_accept == pytest.approx(3.0)
    assert b.median_days_to_outcome is None

    people = by_id(figures["coordinators"])
    assert set(people) == {coordinator.pk, case_manager.pk, coordinator_b.pk}
    mine = people[coordinator.pk]
    assert (mine.sent, mine.closed_with_outcome, mine.overdue_now) == (3, 2, 1)
    assert mine.median_days_to_accept == pytest.approx(1.5)  # of 2, 1: the middle two
    assert mine.median_days_to_outcome == pytest.approx(8.0)
    cm = people[case_manager.pk]
    assert (cm.sent, cm.closed_with_outcome, cm.overdue_now) == (1, 0, 1)
    assert cm.median_days_to_accept == pytest.approx(4.0)
    assert cm.median_days_to_outcome is None


def test_figures_only_count_the_users_patients(data_set, case_manager, team_a, coordinator_b):
    figures = referral_figures(user=case_manager, start=PERIOD[0], end=PERIOD[1], now=NOW)
    assert [row.group_id for row in figures["teams"]] == [team_a.pk]
    assert coordinator_b.pk not in by_id(figures["coordinators"])


def test_an_empty_period_has_only_overdue_rows(data_set, admin_user, team_a):
    figures = referral_figures(user=admin_user, start=day(1, 1, 0), end=day(1, 31, 0), now=NOW)
    (row,) = figures["teams"]
    assert (row.group_id, row.sent, row.overdue_now) == (team_a.pk, 0, 2)
    assert row.closed_loop_rate is None
    assert row.median_days_to_accept is None


def test_figures_for_a_user_without_patients_are_empty(db):
    from tests.factories import UserFactory

    nobody = UserFactory()
    assert referral_figures(user=nobody, start=PERIOD[0], end=PERIOD[1], now=NOW) == {
        "teams": [],
        "coordinators": [],
    }
