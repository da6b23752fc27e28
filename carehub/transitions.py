"""What every state machine in CareHub shares (care plans, goals, tasks, referrals ...).

Each app's ``transitions.py`` declares its ``Machine`` (the allowed moves as data) and one
function per model that performs a move: it calls ``Machine.check``, writes the new state
with ``guarded_update`` (zero rows: someone else moved first, or the version is stale),
and writes its transition record, all in one transaction. Nothing else assigns a status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _


class InvalidTransition(Exception):
    """A move the state machine does not allow. Nothing was changed."""

    def __init__(self, *, current: str, target: str, allowed: Iterable[str], labels=None):
        self.current = current
        self.target = target
        self.allowed = sorted(allowed)
        label = (labels or {}).get
        super().__init__(
            _(
                "Cannot move from “%(current)s” to “%(target)s”. From “%(current)s” the allowed moves are: %(allowed)s."
            )
            % {
                "current": label(current, current),
                "target": label(target, target),
                "allowed": ", ".join(f"“{label(s, s)}”" for s in self.allowed)
                or _("none (final state)"),
            }
        )


class StaleEdit(Exception):
    """Someone saved the record after the user loaded it. Nothing was changed."""

    def __init__(self, what: str = ""):
        super().__init__(
            _(
                "Someone else saved this %(what)s after you opened it. Nothing was changed: "
                "reload the page to see their changes, then make yours again."
            )
            % {"what": what or _("record")}
        )


@dataclass(frozen=True)
class Machine:
    """Allowed moves of one status field, and which moves need a reason."""

    name: str
    moves: Mapping[str, frozenset[str]]
    reason_required: frozenset[str] = field(default_factory=frozenset)
    labels: Mapping[str, str] = field(default_factory=dict)

    def allowed_from(self, current: str) -> list[str]:
        return sorted(self.moves.get(current, frozenset()))

    def is_final(self, state: str) -> bool:
        return not self.moves.get(state)

    def check(self, *, current: str, target: str, reason: str = "") -> str:
        """Raise InvalidTransition or ValidationError; return the cleaned reason."""
        if target not in self.moves.get(current, frozenset()):
            raise InvalidTransition(
                current=current,
                target=target,
                allowed=self.allowed_from(current),
                labels=self.labels,
            )
        reason = (reason or "").strip()
        if target in self.reason_required and not reason:
            raise ValidationError(
                {
                    "reason": _("A reason is required to move to “%(target)s”.")
                    % {"target": self.labels.get(target, target)}
                }
            )
        return reason


def machine(
    name: str,
    moves: Mapping[str, Iterable[str]],
    *,
    reason_required: Iterable[str] = (),
    choices: type[models.TextChoices] | None = None,
) -> Machine:
    """Build a Machine from plain data; every state of ``choices`` must appear in ``moves``."""
    frozen = {state: frozenset(targets) for state, targets in moves.items()}
    labels = dict(choices.choices) if choices else {}  # lazy: translated when shown
    if choices is not None:
        missing = set(choices.values) - set(frozen)
        if missing:
            raise ValueError(f"{name}: states without a row in the move map: {sorted(missing)}")
    return Machine(
        name=name, moves=frozen, reason_required=frozenset(reason_required), labels=labels
    )


def guarded_update(
    queryset: models.QuerySet,
    *,
    pk: int,
    expected: Mapping[str, object],
    changes: Mapping[str, object],
    bump_version: bool = True,
    touch: str | None = "updated_at",
) -> bool:
    """UPDATE ... WHERE pk = ? AND <expected> (status, version). True when it won the race."""
    values = dict(changes)
    if bump_version:
        values["version"] = F("version") + 1
    if touch:
        values[touch] = timezone.now()
    return queryset.filter(pk=pk, **expected).update(**values) == 1
