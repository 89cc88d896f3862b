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


@shared_task(name="caching.invalidate_type", ignore_result=True)
def invalidate_type(data_type: str) -> int:
    """Drop every entry of a data type (an operator's request: the staff API, the dashboard)."""
    from .services import cache_invalidate_type

    return cache_invalidate_type(data_type=data_type)


@shared_task(name="caching.warm_type", ignore_result=True)
def warm_type(data_type: str):
    """Warm a data type as its owner declared (an operator's request)."""
    from .services import cache_warm_type

    return cache_warm_type(data_type=data_type)


@shared_task(name="caching.record_stats", ignore_result=True)
def record_stats() -> dict:
    """A point of the admin dashboard's hit-ratio chart (beat, every 30 s)."""
    from .stats import record_stats_point

    return record_stats_point()


@shared_task(name="caching.publish_cloudwatch", ignore_result=True)
def publish_cloudwatch() -> int:
    """The cache layer's key figures to CloudWatch (beat, every 60 s; off without CLOUDWATCH_NAMESPACE)."""
    from .cloudwatch import publish_cache_metrics

    return publish_cache_metrics()
