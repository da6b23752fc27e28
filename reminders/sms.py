"""Text messages go through a small backend interface, chosen by REMINDERS_SMS_BACKEND.

A backend's ``send(*, to, body, message_id)`` returns when the provider accepted the
message, raises ``TransientDeliveryError`` for what a retry may fix (a timeout, a 5xx) and
``PermanentDeliveryError`` for what it will not (a refused number). Development has a
console and a file backend; production has none until a provider's is configured.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class TransientDeliveryError(Exception):
    """The message may go through on a later attempt."""


class PermanentDeliveryError(Exception):
    """The message will not go through as it is; retrying does not help."""


class BaseSmsBackend:
    def send(self, *, to: str, body: str, message_id: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Development only: prints the message (stdout is not a log shipped anywhere)."""

    def send(self, *, to: str, body: str, message_id: str) -> None:
        sys.stdout.write(f"SMS {message_id} to {to}:\n{body}\n")
        sys.stdout.flush()


class FileSmsBackend(BaseSmsBackend):
    """Development and tests: one JSON line per message in REMINDERS_SMS_FILE_PATH/sms.jsonl."""

    _lock = threading.Lock()

    def send(self, *, to: str, body: str, message_id: str) -> None:
        folder = Path(settings.REMINDERS_SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"message_id": message_id, "to": to, "body": body, "at": timezone.now().isoformat()}
        )
        with self._lock, (folder / "sms.jsonl").open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()


class DisabledSmsBackend(BaseSmsBackend):
    def send(self, *, to: str, body: str, message_id: str) -> None:
        raise PermanentDeliveryError("no SMS backend is configured (REMINDERS_SMS_BACKEND)")


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.REMINDERS_SMS_BACKEND)()
