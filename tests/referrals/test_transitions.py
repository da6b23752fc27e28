"""Every move of the referral state machine, allowed and refused (DOMAIN.md, Referral)."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.roles import Role
from carehub.transitions import InvalidTransition, StaleEdit
from referrals import services
from referrals.models import OutcomeCode, ReferralStatus, ReferralTransition
from referrals.transitions import LINK_MOVES, REFERRAL_STATUS, referral_move
from tests.factories import UserFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db
S = ReferralStatus

ALLOWED = {
    (S.DRAFT, S.SENT),
    (S.DRAFT, S.CANCELLED),
    (S.SENT, S.RECEIVED),
    (S.SENT, S.ACCEPTED),
    (S.SENT, S.DECLINED),
    (S.SENT, S.CANCELLED),
    (S.RECEIVED, S.ACCEPTED),
    (S.RECEIVED, S.DECLINED),
    (S.RECEIVED, S.CANCELLED),
    (S.ACCEPTED, S.SCHEDULED),
    (S.ACCEPTED, S.CANCELLED),
    (S.DECLINED, S.CLOSED),
    (S.DECLINED, S.CANCELLED),
    (S.SCHEDULED, S.OUTCOME_RECORDED),
    (S.SCHEDULED, S.NO_SHOW),
    (S.SCHEDULED, S.CANCELLED),
    (S.NO_SHOW, S.SCHEDULED),
    (S.NO_SHOW, S.CANCELLED),
    (S.OUTCOME_RECORDED, S.CLOSED),
    (S.OUTCOME_RECORDED, S.CANCELLED),
}
ALL_PAIRS = list(itertools.product(S.values, S.values))


def move(referral, to, *, by=None, **overrides):
    """Make the move with every detail it could need (a reason, a time, an outcome)."""
    by = by or referral.referred_by
    if to == S.SENT:
        return services.referral_send(
            referral=referral,
            by=by,
            expected_version=referral.version,
            consent_override_reason="Patient asked on the phone",
        )
    details = {
        "reason": "Reason given",
        "appointment_at": timezone.now(),
        "outcome_code": OutcomeCode.GOT_HELP if to == S.OUTCOME_RECORDED else "",
        "expected_version": referral.version,
        **overrides,
    }
    return referral_move(referral=referral, to=to, by=by, **details).referral


def test_the_machine_is_the_documented_one():
    documented = {(a, b) for a, b in ALL_PAIRS if b in REFERRAL_STATUS.allowed_from(a)}
    assert documented == ALLOWED


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_move_changes_status_and_writes_its_record(current, target):
    referral = ReferralFactory(state=current)
    before = referral.transitions.count()

    moved = move(referral, target)

    assert moved.status == target
    assert moved.version == referral.version + 1
    assert referral.transitions.count() == before + 1
    record = referral.transitions.order_by("-pk").first()
    assert (record.from_status, record.to_status, record.by) == (
        current,
        target,
        referral.referred_by,
    )


@pytest.mark.parametrize(("current", "target"), sorted(set(ALL_PAIRS) - ALLOWED))
def test_refused_move_changes_nothing_and_says_why(current, target):
    referral = ReferralFactory(state=current)
    before = referral.transitions.count()

    with pytest.raises(InvalidTransition) as refused:
        move(referral, target)

    referral.refresh_from_db()
    assert referral.status == current
    assert referral.transitions.count() == before
    assert str(S(current).label) in str(refused.value)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.SENT, S.DECLINED),
        (S.SCHEDULED, S.NO_SHOW),
        (S.ACCEPTED, S.CANCELLED),
        (S.DECLINED, S.CLOSED),
    ],
)
def test_declining_cancelling_no_show_and_giving_up_need_a_reason(current, target):
    referral = ReferralFactory(state=current)
    with pytest.raises(ValidationError) as missing:
        move(referral, target, reason="  ")
    assert "reason" in missing.value.message_dict
    referral.refresh_from_db()
    assert referral.status == current


def test_scheduling_needs_the_appointment_and_the_outcome_needs_a_code():
    accepted = ReferralFactory(accepted=True)
    with pytest.raises(ValidationError):
        move(accepted, S.SCHEDULED, appointment_at=None)
    scheduled = ReferralFactory(scheduled=True)
    with pytest.raises(ValidationError):
        move(scheduled, S.OUTCOME_RECORDED, outcome_code="")
    assert ReferralTransition.objects.filter(to_status=S.OUTCOME_RECORDED).count() == 0


def test_closing_and_cancelling_stamp_the_time_and_end_the_link():
    referral = ReferralFactory(outcome_recorded=True)
    assert referral.link_key
    closed = move(referral, S.CLOSED, reason="")
    assert closed.closed_at is not None
    assert closed.link_key == ""
    assert closed.outcome_code == OutcomeCode.GOT_HELP


def test_stale_version_is_refused():
    referral = ReferralFactory(sent=True)
    with pytest.raises(StaleEdit):
        move(referral, S.ACCEPTED, expected_version=referral.version - 1)
    referral.refresh_from_db()
    assert referral.status == S.SENT


def test_second_of_two_racing_moves_loses():
    referral = ReferralFactory(sent=True)
    move(referral, S.RECEIVED)
    # Another page, loaded while the referral was still "sent": accepted is allowed from
    # "received" too, but the version it carries is stale.
    with pytest.raises(StaleEdit):
        move(referral, S.ACCEPTED)
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED


def test_a_user_without_the_permission_cannot_move(team_a):
    referral = ReferralFactory(sent=True)
    outsider = UserFactory(teams=[team_a])  # no role: no permissions
    with pytest.raises(PermissionDenied):
        move(referral, S.ACCEPTED, by=outsider)
    case_manager = UserFactory(username="cm", role=Role.CASE_MANAGER, teams=[team_a])
    assert move(referral, S.ACCEPTED, by=case_manager).status == S.ACCEPTED


@pytest.mark.parametrize("target", [S.CANCELLED, S.CLOSED, S.NO_SHOW])
def test_the_link_can_only_make_the_services_moves(target):
    assert target not in LINK_MOVES
    referral = ReferralFactory(scheduled=True)
    with pytest.raises(PermissionDenied):
        referral_move(
            referral=referral,
            to=target,
            by=None,
            via_link=True,
            expected_version=referral.version,
            reason="x",
        )


def test_sending_outside_the_service_is_refused():
    referral = ReferralFactory()
    with pytest.raises(ValueError, match="referral_send"):
        referral_move(referral=referral, to=S.SENT, by=referral.referred_by, expected_version=1)
