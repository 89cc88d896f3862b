"""Counters of the cache layer, per data type and level, in prometheus-client form.

Children are bound once per data type (`DataTypeMetrics`), so counting a hit
on the hot path is one lock-protected add, not a label look-up.
"""
from __future__ import annotations

from prometheus_client import Counter, Histogram

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


class DataTypeMetrics:
    """The bound counters of one data type."""

    def __init__(self, name: str):
        self.l1_hit = LOOKUPS.labels(name, "l1", "hit")
        self.l1_miss = LOOKUPS.labels(name, "l1", "miss")
        self.l2_hit = LOOKUPS.labels(name, "l2", "hit")
        self.l2_miss = LOOKUPS.labels(name, "l2", "miss")
        self.stale = LOOKUPS.labels(name, "l2", "stale")
        self.bypass = LOOKUPS.labels(name, "none", "bypass")
        self.loads = LOADS.labels(name)
        self.load_seconds = LOAD_SECONDS.labels(name)
        self.invalidations = INVALIDATIONS.labels(name)
        self.undecodable = UNDECODABLE.labels(name)


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
