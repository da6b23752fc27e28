"""The inbox on the admin index's health panel and in /healthz: messages waiting, the age
of the oldest, errors and unmatched notices today. One query."""

from __future__ import annotations

import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carehub.health import Part, StatusLine
from interfaces.models import InboundMessage, MessageStatus

# Waiting longer than this means nothing processes the inbox (the sweep runs every minute).
LATE = datetime.timedelta(minutes=5)


def inbox_figures(now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    figures = InboundMessage.objects.aggregate(
        waiting=Count("pk", filter=Q(status=MessageStatus.RECEIVED)),
        oldest=Min("received_at", filter=Q(status=MessageStatus.RECEIVED)),
        errors_today=Count("pk", filter=Q(status=MessageStatus.ERROR, received_at__gte=midnight)),
        unmatched=Count("pk", filter=Q(status=MessageStatus.UNMATCHED)),
    )
    oldest = figures.pop("oldest")
    figures["oldest_waiting_seconds"] = int((now - oldest).total_seconds()) if oldest else 0
    return figures


def inbox_part() -> Part:
    figures = inbox_figures()
    late = figures["oldest_waiting_seconds"] > LATE.total_seconds()
    return Part("down" if late else "ok", figures)


def inbox_status() -> list[StatusLine]:
    figures = inbox_figures()
    late = figures["oldest_waiting_seconds"] > LATE.total_seconds()
    state = "warning" if late or figures["errors_today"] else "ok"
    detail = _(
        "%(waiting)d waiting (oldest %(age)d s), %(errors)d refused or failed today, "
        "%(unmatched)d unmatched"
    ) % {
        "waiting": figures["waiting"],
        "age": figures["oldest_waiting_seconds"],
        "errors": figures["errors_today"],
        "unmatched": figures["unmatched"],
    }
    return [StatusLine(_("Hospital notices (inbox)"), state, detail)]
