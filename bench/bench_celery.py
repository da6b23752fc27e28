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


def _due_reminders(count: int) -> range:
    """``count`` due email reminders to the demo coordinator, written in bulk; their ids.

    Reminders of the demo data that are due by now are moved to tomorrow first (this is the
    bench's own database): they would be sent in the same run, by other channels."""
    Reminder.objects.filter(key__startswith="bench:").delete()
    Reminder.objects.filter(state=ReminderState.SCHEDULED, send_at__lte=timezone.now()).update(
        send_at=timezone.now() + datetime.timedelta(days=1)
    )
    user_id = User.objects.get(username="coord").pk
    table = BulkTable(Reminder)
    first = table.next_id
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
    return range(first, table.next_id)


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
    ids = _due_reminders(count)
    # By primary key: a scan of the whole table every 0.2 s would compete with the worker.
    bench_rows = Reminder.objects.filter(pk__gte=ids.start, pk__lt=ids.stop)
    started = time.perf_counter()
    while True:
        reminders_dispatch()
        remaining = bench_rows.exclude(state=ReminderState.SENT).count()
        if remaining == 0:
            break
        if time.perf_counter() - started > TIMEOUT:
            raise TimeoutError(f"{remaining} reminders not sent")
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    sent = bench_rows.filter(state=ReminderState.SENT).count()
    Reminder.objects.filter(key__startswith="bench:").delete()
    return {"rate": sent / seconds, "seconds": round(seconds, 2), "sent": sent}


def run(kind: str, count: int) -> dict:
    return {"noop": noop, "claim": claim, "dispatch": dispatch}[kind](count)
