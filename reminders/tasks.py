"""Thin Celery tasks: ids in, a service called. No retries here: a reminder's retries live
on its row (send_at pushed forward), never in ETA/countdown messages (RELIABILITY.md)."""

from __future__ import annotations

from celery import shared_task

from reminders import delivery, digest, dispatch


@shared_task(name="reminders.dispatch", ignore_result=True)
def reminders_dispatch() -> dict:
    """Every minute (django-celery-beat, migration 0002)."""
    return dispatch.reminders_dispatch().__dict__


@shared_task(name="reminders.send", ignore_result=True)
def reminders_send(reminder_ids: list[int]) -> dict:
    """One batch of claimed reminder ids (REMINDERS_SEND_BATCH of them)."""
    result = delivery.reminders_send_batch(ids=[int(pk) for pk in reminder_ids])
    return {key: value for key, value in result.__dict__.items() if key != "errors"}


@shared_task(name="reminders.schedule_digests", ignore_result=True)
def reminders_schedule_digests() -> int:
    """Every 15 minutes: today's and tomorrow's digest per coordinator and case manager."""
    return digest.digests_schedule()


@shared_task(name="reminders.heartbeat", ignore_result=True, bind=True)
def reminders_heartbeat(self) -> None:
    """Every 30 seconds: this worker is alive and consuming (/healthz reads it)."""
    from reminders.status import heartbeat_record

    heartbeat_record(hostname=self.request.hostname or "worker")


@shared_task(name="reminders.prune", ignore_result=True)
def reminders_prune() -> dict[str, int]:
    """Every hour: finished reminders and old notifications past their retention."""
    from reminders.retention import records_prune

    return records_prune()
