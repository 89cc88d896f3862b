"""The cache layer's key figures sent to Amazon CloudWatch, for its dashboard and alarms (deploy/cloudwatch.yaml).

Beat publishes once a minute. Counters (requests, hits, evictions, errors, the latency
histogram) only ever grow, so what is sent is their change since the previous publish:
a figure per interval is what an alarm can compare with a threshold. The previous
snapshot is kept in the layer's Redis, not in the process, because each run may land
in another Celery process. Off while CLOUDWATCH_NAMESPACE is empty.

boto3 finds the endpoint and credentials the standard way (AWS_ENDPOINT_URL, the
AWS_ACCESS_KEY_ID family or the instance's role); the region is AWS_REGION.
"""
from __future__ import annotations

import logging
import math
import os
from datetime import UTC, datetime
from typing import Any, NamedTuple

import boto3
import orjson
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings as django_settings
from django.db import DatabaseError
from prometheus_client import Counter

from . import stats
from .conf import settings
from .errors import L2Unavailable
from .handler import get_layer

logger = logging.getLogger(__name__)

PUBLISH_FAILURES = Counter("cloudwatch_publish_failures_total",
                           "CloudWatch publishes that failed (AWS unreachable or refusing, figures unreadable).")

MAX_DATA_PER_CALL = 1000  # PutMetricData's limit on metrics per request (and far below its 1 MB)
# A snapshot older than this is no baseline: a change over a long gap sent as one
# interval's figure would look like a burst.
SNAPSHOT_TTL = 300
LATENCY_HISTOGRAM = "http_request_duration_seconds_bucket"


class Figure(NamedTuple):
    """A metric as CloudWatch stores it: its name, the names of its dimensions, its unit."""

    name: str
    dimensions: tuple[str, ...]
    unit: str

    def datum(self, value: float, *dimension_values: str, at: datetime) -> dict[str, Any]:
        return {"MetricName": self.name, "Value": float(value), "Unit": self.unit, "Timestamp": at,
                "Dimensions": [{"Name": name, "Value": str(v)} for name, v in zip(
                    self.dimensions, dimension_values, strict=True)]}


HIT_RATIO = Figure("HitRatio", (), "Percent")
HIT_RATIO_BY_TYPE = Figure("HitRatio", ("DataType",), "Percent")
REQUESTS = Figure("Requests", (), "Count")
REQUESTS_BY_TYPE = Figure("Requests", ("DataType",), "Count")
LATENCY_P95 = Figure("RequestLatencyP95", (), "Milliseconds")
REDIS_MEMORY = Figure("RedisMemoryUtilization", ("RedisServer",), "Percent")
EVICTIONS = Figure("Evictions", ("RedisServer",), "Count")
OUTBOX_BACKLOG = Figure("OutboxBacklog", ("Outbox",), "Count")
ERRORS = Figure("Errors", (), "Count")
# Everything published: the templates in deploy/ may name these and nothing else.
FIGURES = (HIT_RATIO, HIT_RATIO_BY_TYPE, REQUESTS, REQUESTS_BY_TYPE, LATENCY_P95, REDIS_MEMORY, EVICTIONS,
           OUTBOX_BACKLOG, ERRORS)


def latency_buckets() -> dict[float, float]:
    """Requests answered within each bound of the latency histogram (cumulative), over
    every route, method and status."""
    buckets: dict[float, float] = {}
    for family in stats.registry().collect():
        for sample in family.samples:
            if sample.name == LATENCY_HISTOGRAM:
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
    return buckets


def p95_seconds(buckets: dict[float, float]) -> float | None:
    """The 95th percentile from cumulative bucket counts, interpolated within its bucket
    as Prometheus' histogram_quantile does; beyond the last finite bound, that bound."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0
    if total <= 0:
        return None
    rank = 0.95 * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / (count - below) if count > below else bound
        lower, below = bound, count
    return lower


def snapshot(figures: dict[str, Any], buckets: dict[float, float]) -> dict[str, Any]:
    """The counters a publish sends the change of."""
    types = figures["data_types"]
    return {
        # hits as caching.stats counts them for its hit ratio
        "hits": {name: row["l1_hits"] + row["l2_hits"] + row["stale"] for name, row in types.items()},
        "requests": {name: row["requests"] for name, row in types.items()},
        "evicted": {name: server["evicted_keys"] for name, server in figures["redis"].items()
                    if "evicted_keys" in server},
        "errors": sum(figures["errors"].values()),
        "latency": {repr(bound): count for bound, count in buckets.items()},
    }


def _change(now: float, before: float | None) -> float | None:
    """A counter's growth; None without a baseline, or when it went down (processes or
    Redis restarted: the counter started again from zero)."""
    if before is None or now < before:
        return None
    return now - before


def metric_data(figures: dict[str, Any], current: dict[str, Any], previous: dict[str, Any] | None,
                *, at: datetime) -> list[dict[str, Any]]:
    """What to send: levels as they are now, counters as their change since `previous`."""
    data = []
    for name, server in sorted(figures["redis"].items()):
        if server.get("memory_ratio") is not None:  # None: no maxmemory set
            data.append(REDIS_MEMORY.datum(100 * server["memory_ratio"], name, at=at))
    for name, count in sorted(figures["outboxes"].items()):
        data.append(OUTBOX_BACKLOG.datum(count, name, at=at))
    if previous is None:
        return data

    total_hits = total_requests = 0.0
    counted_all = True
    for name in sorted(current["requests"]):
        requests = _change(current["requests"][name], previous["requests"].get(name, 0.0))
        hits = _change(current["hits"][name], previous["hits"].get(name, 0.0))
        if requests is None or hits is None:
            counted_all = False
            continue
        total_hits += hits
        total_requests += requests
        data.append(REQUESTS_BY_TYPE.datum(requests, name, at=at))
        if requests:
            data.append(HIT_RATIO_BY_TYPE.datum(100 * hits / requests, name, at=at))
    if counted_all:
        data.append(REQUESTS.datum(total_requests, at=at))
        if total_requests:
            data.append(HIT_RATIO.datum(100 * total_hits / total_requests, at=at))

    for name, evicted in sorted(current["evicted"].items()):
        change = _change(evicted, previous["evicted"].get(name))
        if change is not None:
            data.append(EVICTIONS.datum(change, name, at=at))
    errors = _change(current["errors"], previous["errors"])
    if errors is not None:
        data.append(ERRORS.datum(errors, at=at))

    changes = {float(bound): _change(count, previous["latency"].get(bound, 0.0))
               for bound, count in current["latency"].items()}
    if None not in changes.values():
        p95 = p95_seconds(changes)
        if p95 is not None:
            data.append(LATENCY_P95.datum(1000 * p95, at=at))
    return data


def _snapshot_key() -> str:
    return f"{settings.KEY_PREFIX}:cloudwatch:snapshot"


def swap_snapshot(current: dict[str, Any]) -> dict[str, Any] | None:
    """Store this publish's counters and take the previous publish's, in one SET ... GET.

    Two publishes at once (a task handed to a second worker, an overlapping beat) each
    take the snapshot the other left: no interval is sent twice, and one whose counters
    went backwards is skipped. Redis unavailable: no baseline, so no changes are sent."""
    blob = orjson.dumps(current)
    try:
        raw = get_layer().tier.call("cloudwatch", lambda c: c.set(_snapshot_key(), blob, ex=SNAPSHOT_TTL, get=True))
    except L2Unavailable as exc:
        logger.warning("CloudWatch: no previous snapshot (%s); sending levels only", exc)
        return None
    if raw is None:
        return None
    try:
        previous = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None  # not ours
    # A snapshot of another shape (left by an older release) is no baseline either.
    return previous if isinstance(previous, dict) and previous.keys() == current.keys() else None


def cloudwatch_client():
    """A client that gives up quickly: a publish missed is better than a beat held up."""
    return boto3.client("cloudwatch", region_name=os.environ.get("AWS_REGION") or "us-east-1", config=Config(
        retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=2, read_timeout=5))


class CloudWatchPublisher:
    """Reads the cache layer's figures and sends them, at most `batch_size` data a call."""

    batch_size = MAX_DATA_PER_CALL
    client_factory = staticmethod(cloudwatch_client)

    def __init__(self, *, namespace: str | None = None, batch_size: int | None = None):
        self.namespace = getattr(django_settings, "CLOUDWATCH_NAMESPACE", "") if namespace is None else namespace
        if batch_size is not None:
            self.batch_size = batch_size

    def publish(self) -> int:
        """Send the figures; the number of data CloudWatch took. A failure is logged and
        counted, never raised: it must not stop beat's other work."""
        if not self.namespace:
            return 0
        try:
            figures = stats.cache_stats(hot_keys=0)
            current = snapshot(figures, latency_buckets())
        except DatabaseError as exc:
            return self._failed("figures unreadable", exc)
        previous = swap_snapshot(current)
        data = metric_data(figures, current, previous, at=datetime.fromtimestamp(figures["sampled_at"], UTC))
        sent = 0
        try:
            client = self.client_factory()
            for start in range(0, len(data), self.batch_size):
                batch = data[start:start + self.batch_size]
                client.put_metric_data(Namespace=self.namespace, MetricData=batch)
                sent += len(batch)
        except (BotoCoreError, ClientError) as exc:
            self._failed(f"put_metric_data failed after {sent} of {len(data)} data", exc)
        return sent

    @staticmethod
    def _failed(what: str, exc: Exception) -> int:
        PUBLISH_FAILURES.inc()
        logger.warning("CloudWatch publish: %s: %s", what, exc)
        return 0


def publish_cache_metrics() -> int:
    """Send the cache layer's key figures to CLOUDWATCH_NAMESPACE (beat, every minute)."""
    return CloudWatchPublisher().publish()
