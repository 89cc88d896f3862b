"""Celery tasks of the cache layer."""
from celery import shared_task

from .drain import drain_outboxes


@shared_task(name="caching.drain_outbox", ignore_result=True)
def drain_outbox() -> dict[str, int]:
    """Apply pending invalidations (beat runs it every CACHE_OUTBOX_DRAIN_SECONDS)."""
    return drain_outboxes()
