"""Celery tasks of the cache layer."""
from celery import shared_task

from .drain import drain_outboxes


@shared_task(name="caching.drain_outbox", ignore_result=True)
def drain_outbox() -> dict[str, int]:
    """Apply pending invalidations (beat runs it every CACHE_OUTBOX_DRAIN_SECONDS)."""
    return drain_outboxes()


@shared_task(name="caching.drain_cdn", ignore_result=True)
def drain_cdn() -> dict:
    """Send the CDN outbox's pending paths (queued after a commit; beat runs it every
    CDN_DRAIN_SECONDS). A request the CDN did not take is tried again when due."""
    from .cdn.drain import drain_cdn as drain
    from .cdn.outbox import request_drain

    report = drain()
    if report.retry_in is not None:
        request_drain(countdown=report.retry_in + 0.1)
    return report.as_dict()
