"""Counters of the cache layer, per data type and level, in prometheus-client form.

Children are bound once per data type (`DataTypeMetrics`), so counting a hit
on the hot path is one lock-protected add, not a label look-up. With
PROMETHEUS_MULTIPROC_DIR set (gunicorn workers, Celery processes), each process
writes its values to its own file there and /metrics adds them up (caching.stats);
gauges say how: the L1's size is summed over live processes, the breaker is open
if it is open in any.
"""
from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram

LOOKUPS = Counter(
    "cache_lookups_total", "Cache look-ups by data type, level and result.", ["data_type", "level", "result"]
)
ERRORS = Counter("cache_errors_total", "Redis errors seen by the cache layer, by operation.", ["operation"])
LOADS = Counter("cache_loads_total", "Loader calls (database reads) by data type.", ["data_type"])
LOAD_SECONDS = Histogram(
    "cache_load_seconds",
    "Time spent in loaders, by data type.",
    ["data_type"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
INVALIDATIONS = Counter("cache_invalidations_total", "Keys invalidated, by data type.", ["data_type"])
UNDECODABLE = Counter(
    "cache_undecodable_total", "Values read from Redis that did not decode (served as misses), by data type.",
    ["data_type"],
)


L1_ENTRIES = Gauge("cache_l1_entries", "Entries in L1, summed over live processes.", multiprocess_mode="livesum")
L1_BYTES = Gauge("cache_l1_bytes", "Bytes held by L1, summed over live processes.", multiprocess_mode="livesum")
L1_EVICTIONS = Counter("cache_l1_evictions_total", "L1 entries evicted to stay within its bounds.")
BREAKER_OPEN = Gauge("cache_breaker_open", "1 while the circuit breaker in front of Redis is open (in any process).",
                     multiprocess_mode="livemax")


class _Uncounted:
    """What a counter is when CACHING["METRICS"] is off (the benchmarks measure the cost)."""

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass


class DataTypeMetrics:
    """The bound counters of one data type."""

    def __init__(self, name: str):
        from .conf import settings

        if not settings.METRICS:
            uncounted = _Uncounted()
            for attribute in ("l1_hit", "l1_miss", "l2_hit", "l2_miss", "stale", "l2_error", "bypass", "loads",
                              "load_seconds", "invalidations", "undecodable"):
                setattr(self, attribute, uncounted)
            return
        self.l1_hit = LOOKUPS.labels(name, "l1", "hit")
        self.l1_miss = LOOKUPS.labels(name, "l1", "miss")
        self.l2_hit = LOOKUPS.labels(name, "l2", "hit")
        self.l2_miss = LOOKUPS.labels(name, "l2", "miss")
        self.stale = LOOKUPS.labels(name, "l2", "stale")
        self.l2_error = LOOKUPS.labels(name, "l2", "error")  # Redis unavailable: served from the database
        self.bypass = LOOKUPS.labels(name, "none", "bypass")
        self.loads = LOADS.labels(name)
        self.load_seconds = LOAD_SECONDS.labels(name)
        self.invalidations = INVALIDATIONS.labels(name)
        self.undecodable = UNDECODABLE.labels(name)


class ProcessGauges:
    """Copies this process's L1 size and breaker state into their gauges, at most once a
    second (a request calls `maybe_refresh`): gauges of other processes cannot be read at
    scrape time, and setting them on every L1 write would cost the hot path."""

    interval = 1.0
    clock = staticmethod(time.monotonic)

    def __init__(self) -> None:
        self.last = 0.0

    def maybe_refresh(self) -> None:
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            self.refresh()

    def refresh(self) -> None:
        from .handler import current_layer

        layer = current_layer()
        if layer is None:
            return
        L1_ENTRIES.set(len(layer.l1))
        L1_BYTES.set(layer.l1.bytes_used)
        BREAKER_OPEN.set(0 if layer.tier.breaker.state == "closed" else 1)


process_gauges = ProcessGauges()


def count_error(operation: str) -> None:
    ERRORS.labels(operation).inc()


def count_undecodable(source: str) -> None:
    UNDECODABLE.labels(source).inc()


def snapshot() -> dict:
    """Current counter values as plain numbers, for stats endpoints and tests."""
    result: dict = {"lookups": {}, "errors": {}, "loads": {}, "undecodable": {}}
    for metric in (LOOKUPS, ERRORS, LOADS, UNDECODABLE):
        for family in metric.collect():
            for sample in family.samples:
                if not sample.name.endswith("_total"):
                    continue
                labels = sample.labels
                if metric is LOOKUPS:
                    key = f"{labels['data_type']}:{labels['level']}:{labels['result']}"
                    result["lookups"][key] = sample.value
                elif metric is ERRORS:
                    result["errors"][labels["operation"]] = sample.value
                elif metric is UNDECODABLE:
                    result["undecodable"][labels["data_type"]] = sample.value
                else:
                    result["loads"][labels["data_type"]] = sample.value
    return result
