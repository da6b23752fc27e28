"""Celery tasks for `make bench` only (the worker imports this module with -I bench.tasks)."""

import os

import redis
from celery import shared_task

_client = None


@shared_task(name="bench.noop", ignore_result=True)
def noop(counter_key: str) -> None:
    """Does nothing but count itself, so the harness knows when the queue is drained."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["REDIS_URL"])
    _client.incr(counter_key)
