"""Reads of the inbox for the pages: the unmatched notices a user may see (admins: all;
others: those from their teams' facilities)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import User
from interfaces import hl7v2
from interfaces.models import InboundMessage, MessageStatus
from patients.selectors import scope_team_ids


def unmatched_visible_to(user: User) -> QuerySet[InboundMessage]:
    if not user.is_authenticated or not user.has_perm("interfaces.match_message"):
        return InboundMessage.objects.none()
    waiting = InboundMessage.objects.filter(status=MessageStatus.UNMATCHED)
    team_ids = scope_team_ids(user)  # the patient scope's teams (None: an admin's, all)
    return waiting if team_ids is None else waiting.filter(team_id__in=team_ids)


@dataclass(frozen=True)
class NoticeSummary:
    """Who and what a notice is about, as the sender said it (to find the patient)."""

    message: InboundMessage
    name: str
    birth_date: object
    sex: str
    identifiers: str
    event: str


def summary(message: InboundMessage) -> NoticeSummary:
    try:
        parsed = hl7v2.read(message.raw, message.charset)
    except hl7v2.Refused:
        return NoticeSummary(message, "", None, "", "", message.event)
    return NoticeSummary(
        message=message,
        name=f"{parsed.family_name}, {parsed.given_name}".strip(", "),
        birth_date=parsed.birth_date,
        sex=parsed.sex,
        identifiers=", ".join(f"{i.value} ({i.authority or '-'})" for i in parsed.identifiers),
        event=parsed.event,
    )
