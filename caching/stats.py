"""What an operator reads: the cache layer's figures, added up over this machine's processes.

`cache_stats()` feeds the staff API, the admin's cache dashboard and CloudWatch;
/metrics renders the same registry in Prometheus' text format (shop.metrics). With
PROMETHEUS_MULTIPROC_DIR set, every gunicorn worker and Celery process writes its
values to a file of its own there and they are added up here; unset (one process,
the tests), this process's registry is read.
"""
from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from typing import Any

import orjson
from django.conf import settings as django_settings
from django.core.cache import caches
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

from .conf import settings
from .errors import L2Unavailable
from .handler import get_layer

logger = logging.getLogger(__name__)

# Redis INFO fields reported, as they are named there.
REDIS_FIELDS = ("used_memory", "maxmemory", "evicted_keys", "keyspace_hits", "keyspace_misses", "connected_clients")
HISTORY_POINTS = 240  # the dashboard's chart: two hours at beat's 30 s


def registry() -> CollectorRegistry:
    """The registry to read: every process's values (multiprocess mode), else this one's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return REGISTRY


def samples_of(families) -> dict[str, list[tuple[dict, float]]]:
    """{sample name: [(labels, value)]} of collected metric families."""
    found: dict[str, list[tuple[dict, float]]] = defaultdict(list)
    for family in families:
        for sample in family.samples:
            found[sample.name].append((sample.labels, sample.value))
    return found


def hit_ratio(hits: float, requests: float) -> float | None:
    return round(hits / requests, 4) if requests else None


def data_type_figures(samples: dict) -> dict[str, dict[str, Any]]:
    """Per data type: look-ups by level and result, loads, invalidations, the hit ratio."""
    figures: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "l1_hits": 0, "l1_misses": 0, "l2_hits": 0, "l2_misses": 0, "stale": 0, "errors": 0, "bypass": 0,
        "loads": 0, "invalidations": 0, "undecodable": 0})
    names = {("l1", "hit"): "l1_hits", ("l1", "miss"): "l1_misses", ("l2", "hit"): "l2_hits",
             ("l2", "miss"): "l2_misses", ("l2", "stale"): "stale", ("l2", "error"): "errors",
             ("none", "bypass"): "bypass"}
    for labels, value in samples.get("cache_lookups_total", ()):
        name = names.get((labels["level"], labels["result"]))
        if name:
            figures[labels["data_type"]][name] += value
    for metric, name in (("cache_loads_total", "loads"), ("cache_invalidations_total", "invalidations"),
                         ("cache_undecodable_total", "undecodable")):
        for labels, value in samples.get(metric, ()):
            figures[labels["data_type"]][name] += value
    for row in figures.values():
        hits = row["l1_hits"] + row["l2_hits"] + row["stale"]
        row["requests"] = hits + row["l2_misses"] + row["errors"] + row["bypass"]
        row["hit_ratio"] = hit_ratio(hits, row["requests"])
    return {name: dict(row) for name, row in sorted(figures.items())}


def _one(samples: dict, name: str) -> float:
    return sum(value for _, value in samples.get(name, ()))


def redis_info() -> dict[str, dict[str, Any]]:
    """INFO figures of the layer's Redis and of every Django cache on a Redis of its own
    (the store of sessions): memory against its limit, evictions, hits, clients."""
    from .backends.redis import RedisBackend

    servers = {"layer": get_layer().tier}
    for alias in django_settings.CACHES:
        backend = caches[alias]
        if isinstance(backend, RedisBackend):
            servers[alias] = backend.tier
    report = {}
    for name, tier in servers.items():
        try:
            info = tier.call("info", lambda c: c.info())
        except L2Unavailable as exc:
            report[name] = {"error": str(exc)[:200]}
            continue
        if info and all(isinstance(v, dict) for v in info.values()):  # a Cluster: one INFO per node
            nodes = list(info.values())
            figures = {field: sum(int(node.get(field, 0)) for node in nodes) for field in REDIS_FIELDS}
        else:
            figures = {field: int(info.get(field, 0)) for field in REDIS_FIELDS}
        figures["memory_ratio"] = round(figures["used_memory"] / figures["maxmemory"], 4) \
            if figures["maxmemory"] else None
        report[name] = figures
    return report


def outbox_backlogs() -> dict[str, int]:
    """Invalidations waiting for Redis, CDN paths waiting to be sent, CDN requests in progress."""
    from .models import CdnInvalidation, CdnPath, PendingInvalidation

    return {
        "cache": PendingInvalidation.objects.count(),
        "cdn": CdnPath.objects.filter(invalidation__isnull=True).count(),
        "cdn_in_progress": CdnInvalidation.objects.filter(status=CdnInvalidation.IN_PROGRESS).count(),
    }


def cache_stats(*, hot_keys: int = 10) -> dict[str, Any]:
    """Everything the operator's views show, as plain JSON-ready values."""
    from .hotkeys import top_hot_keys
    from .metrics import process_gauges

    process_gauges.refresh()  # this process's own gauges are current, whoever asks
    samples = samples_of(registry().collect())
    types = data_type_figures(samples)
    hits = sum(row["l1_hits"] + row["l2_hits"] + row["stale"] for row in types.values())
    requests = sum(row["requests"] for row in types.values())
    return {
        "sampled_at": time.time(),
        "hit_ratio": hit_ratio(hits, requests),
        "data_types": types,
        "l1": {"entries": int(_one(samples, "cache_l1_entries")), "bytes": int(_one(samples, "cache_l1_bytes")),
               "evictions": int(_one(samples, "cache_l1_evictions_total")),
               "max_entries_per_process": settings.L1_MAX_ENTRIES, "max_bytes_per_process": settings.L1_MAX_BYTES},
        "breaker_open": bool(max((v for _, v in samples.get("cache_breaker_open", ())), default=0)),
        "errors": {labels["operation"]: value for labels, value in samples.get("cache_errors_total", ())},
        "outboxes": outbox_backlogs(),
        "redis": redis_info(),
        "hot_keys": top_hot_keys(hot_keys),
    }


# The dashboard's chart: a point every 30 s (beat), kept in the layer's Redis ----------------


def _history_key() -> str:
    return f"{settings.KEY_PREFIX}:stats:history"


def record_stats_point() -> dict[str, Any]:
    """Append the cumulative look-up counts per data type to the history (beat's task)."""
    types = data_type_figures(samples_of(registry().collect()))
    point = {"t": round(time.time(), 1), "types": {
        name: [row["l1_hits"] + row["l2_hits"] + row["stale"], row["requests"]] for name, row in types.items()}}

    def run(client):
        pipe = client.pipeline(transaction=False)
        pipe.lpush(_history_key(), orjson.dumps(point))
        pipe.ltrim(_history_key(), 0, HISTORY_POINTS)
        pipe.execute()

    try:
        get_layer().tier.call("stats", run)
    except L2Unavailable:
        pass  # a point missing from a chart
    return point


def stats_history() -> list[dict[str, Any]]:
    """The hit ratio per data type over each interval between two recorded points, oldest
    first: [{"t": end of the interval, "hit_ratio": {type: ratio}}]. An interval in which a
    counter went down (processes restarted) is skipped."""
    try:
        raw = get_layer().tier.call("stats", lambda c: c.lrange(_history_key(), 0, HISTORY_POINTS))
    except L2Unavailable:
        return []
    points = []
    for blob in reversed(raw):
        try:
            point = orjson.loads(blob)
            points.append((float(point["t"]), {name: (float(h), float(r)) for name, (h, r) in point["types"].items()}))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue  # not ours
    series = []
    for (_, before), (t, after) in zip(points, points[1:], strict=False):
        ratios = {}
        for name, (hits, requests) in after.items():
            old_hits, old_requests = before.get(name, (0.0, 0.0))
            if requests < old_requests or hits < old_hits:
                ratios = None
                break
            ratio = hit_ratio(hits - old_hits, requests - old_requests)
            if ratio is not None:
                ratios[name] = ratio
        if ratios is not None:
            series.append({"t": t, "hit_ratio": ratios})
    return series
