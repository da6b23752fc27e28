"""The inbox's health: waiting messages and the oldest one's age, errors today, unmatched."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from interfaces import services
from interfaces.models import InboundMessage
from interfaces.status import inbox_figures, inbox_part, inbox_status
from tests.interfaces.messages import adt

pytestmark = pytest.mark.django_db


def test_the_inbox_figures_and_a_late_inbox():
    assert inbox_part().state == "ok" and inbox_figures()["waiting"] == 0
    waiting = services.message_receive(adt("A01").encode()).message
    services.message_receive(adt("A01", pid="").encode())  # refused: an error today
    figures = inbox_figures()
    assert (figures["waiting"], figures["errors_today"]) == (1, 1)
    assert inbox_status()[0].state == "warning"
    InboundMessage.objects.filter(pk=waiting.pk).update(
        received_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    part = inbox_part()
    assert part.state == "down" and part.details["oldest_waiting_seconds"] >= 600
