from celery import shared_task

from interfaces import services


@shared_task(name="interfaces.process", ignore_result=True)
def messages_process(message_ids: list[int]) -> int:
    """Messages just received (queued by the listener after its commit)."""
    return sum(1 for pk in message_ids if services.message_process(int(pk)) is not None)


@shared_task(name="interfaces.sweep", ignore_result=True)
def messages_sweep() -> int:
    """Every minute: what was received but not processed (a broker or worker outage)."""
    return services.messages_sweep()
