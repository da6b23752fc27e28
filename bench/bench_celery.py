"""Task figures for `make bench` (run inside Django by bench/run.py, beside a live worker):

- noop: the worker draining no-op tasks from Redis (the ceiling for anything per task);
- claim: claiming due reminders in batches with FOR UPDATE SKIP LOCKED, nothing sent
  (the ceiling of the database side of dispatch);
- dispatch: due reminders claimed by the dispatcher and sent by the worker, end to end.
"""

from __future__ import annotations

import datetime
import time
import uuid

import redis
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from carehub.bulk import BulkTable, bulk_load
from reminders.dispatch import reminders_claim, reminders_dispatch
from reminders.models import Reminder, ReminderChannel, ReminderKind, ReminderState

TIMEOUT = 900


def _due_reminders(count: int) -> None:
    """``count`` due email reminders to the demo coordinator, written in bulk."""
    Reminder.objects.filter(key__startswith="bench:").delete()
    user_id = User.objects.get(username="coord").pk
    table = BulkTable(Reminder)
    run = uuid.uuid4().hex[:8]
    past = timezone.now() - datetime.timedelta(minutes=5)
    with bulk_load([]):
        for n in range(count):
            table.add_dict(
                {
                    "kind": ReminderKind.TASK_DUE,
                    "channel": ReminderChannel.EMAIL,
                    "recipient_user_id": user_id,
                    "key": f"bench:{run}:{n}",
                    "send_at": past,
                    "due_at": past,
                    "context": {"title": f"Benchmark task #{n}", "link": "/care-plans/tasks/mine/"},
                    "state": ReminderState.SCHEDULED,
                }
            )
            if len(table.rows) >= 5_000:
                table.flush()
        table.finish()


def noop(count: int) -> dict:
    from bench.tasks import noop as task

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    key = f"bench:noop:{uuid.uuid4().hex}"
    started = time.perf_counter()
    for _ in range(count):
        task.delay(key)
    while int(client.get(key) or 0) < count:
        if time.perf_counter() - started > TIMEOUT:
            raise TimeoutError("no-op tasks not drained")
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    client.delete(key)
    return {"rate": count / seconds, "seconds": round(seconds, 2), "sent": count}


def claim(count: int) -> dict:
    _due_reminders(count)
    started = time.perf_counter()
    claimed = 0
    while batch := reminders_claim(limit=settings.REMINDERS_CLAIM_BATCH):
        claimed += len(batch)
    seconds = time.perf_counter() - started
    Reminder.objects.filter(key__startswith="bench:").delete()
    return {"rate": claimed / seconds, "seconds": round(seconds, 2), "sent": claimed}


def dispatch(count: int) -> dict:
    _due_reminders(count)
    started = time.perf_counter()
    while True:
        reminders_dispatch()
        remaining = (
            Reminder.objects.filter(key__startswith="bench:")
            .exclude(state=ReminderState.SENT)
            .count()
        )
        if remaining == 0:
            break
        if time.perf_counter() - started > TIMEOUT:
            raise TimeoutError(f"{remaining} reminders not sent")
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    sent = Reminder.objects.filter(key__startswith="bench:", state=ReminderState.SENT).count()
    Reminder.objects.filter(key__startswith="bench:").delete()
    return {"rate": sent / seconds, "seconds": round(seconds, 2), "sent": sent}


def run(kind: str, count: int) -> dict:
    return {"noop": noop, "claim": claim, "dispatch": dispatch}[kind](count)
