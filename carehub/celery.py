"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

import logging
import os

from celery import Celery
from celery.worker.consumer import consumer as _consumer
from kombu import message as _message

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")

app = Celery("carehub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


# Celery 5.7.0 / kombu 5.7.0 with the Redis transport: when Redis restarts, the consumer
# "collects" the broken connection, which leaves its channels without connection details.
# Two later uses of such a channel raise AttributeError ('NoneType' object has no attribute
# 'hostname') and stop the worker for good ("Unrecoverable error") instead of letting it
# reconnect: closing the collected connection, and acknowledging (acks_late) a task that
# was running during the outage. Both concern a connection that is gone anyway: the
# unacknowledged message was restored to the queue and comes back, and the reminders' send
# task does nothing for rows already sent. Proven by tests/reminders/test_worker_faults.py
# (Redis restart); remove when a release fixes it.
_on_connection_error_after_connected = _consumer.Consumer.on_connection_error_after_connected
_ack_log_error = _message.Message.ack_log_error


def _reconnect_after_broken_close(self, exc):
    try:
        _on_connection_error_after_connected(self, exc)
    except AttributeError:
        self.connection = None


def _ack_on_collected_channel(self, logger_, errors, multiple=False):
    try:
        return _ack_log_error(self, logger_, errors, multiple=multiple)
    except AttributeError:
        logger.warning("Could not acknowledge a task on a connection lost to a broker restart")
        return None


_consumer.Consumer.on_connection_error_after_connected = _reconnect_after_broken_close
_message.Message.ack_log_error = _ack_on_collected_channel
