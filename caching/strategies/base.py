"""The interface every strategy provides, what a read returns, and how a loader is run."""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from django.utils.module_loading import import_string

from ..conf import settings

if TYPE_CHECKING:
    from ..datatypes import DataType
    from ..invalidator import Invalidator
    from ..singleflight import SingleFlight
    from ..tiers.local import LocalCache
    from ..tiers.redis import RedisTier


class Status(StrEnum):
    """Where a value came from: what the `X-Cache` header says."""

    HIT_L1 = "HIT-L1"
    HIT_L2 = "HIT-L2"
    MISS = "MISS"
    STALE = "STALE"
    BYPASS = "BYPASS"


class Result(NamedTuple):
    value: Any
    status: Status


def load(data_type: DataType, item_id: Any, loader: Callable[[], Any] | None, *,
         changed_at: float | None = None) -> Any:
    """Call `loader()`, or the registered `data_type.loader(item_id)`, counted and timed.

    `changed_at`: when the item was last invalidated, if known (its fence or generations).
    A load within REPLICA_LAG_BOUND seconds of that reads the primary database: a read
    replica may not have the change yet, and what it returned would be cached until the
    entry's TTL, not just for the replica's lag."""
    started = time.perf_counter()
    try:
        with reading_primary_if(changed_at):
            return loader() if loader is not None else data_type.loader(item_id)
    finally:
        data_type.metrics.loads.inc()
        data_type.metrics.load_seconds.observe(time.perf_counter() - started)


def reading_primary_if(changed_at: float | None) -> AbstractContextManager:
    """PRIMARY_READS (the database router's "read the primary" context) when `changed_at`
    is within REPLICA_LAG_BOUND seconds of now; else nothing."""
    bound = settings.REPLICA_LAG_BOUND
    if not bound or changed_at is None or time.time() - changed_at > bound:
        return nullcontext()
    return import_string(settings.PRIMARY_READS)


class Strategy:
    """How reads of a data type are served and how its writes and invalidations reach the cache.

    A strategy gets what it works with, not the whole layer: L2 (`tier`), this
    process's L1, the in-process single flight, and the invalidation primitive.
    """

    def __init__(self, *, tier: RedisTier, l1: LocalCache, flight: SingleFlight, invalidator: Invalidator):
        self.tier = tier
        self.l1 = l1
        self.flight = flight
        self.invalidator = invalidator

    def fetch(self, data_type: DataType, item_id: Any, loader: Callable[[], Any] | None) -> Result:
        """Serve `item_id`; `loader` (or, when None, the registered loader) runs on a miss."""
        raise NotImplementedError("subclasses of Strategy must provide a fetch() method")

    def put(self, data_type: DataType, item_id: Any, loader: Callable[[], Any]) -> bool:
        raise TypeError(f"{data_type.name}: strategy {data_type.strategy!r} does not take writes; invalidate instead")

    def invalidation(self, data_type: DataType, item_ids: list[Any]) -> tuple[list[str], list[str]]:
        """The keys to drop and the namespaces to bump when `item_ids` change."""
        return [data_type.key(item_id) for item_id in item_ids], list(data_type.bumps)

    def warmable(self, data_type: DataType) -> bool:
        """Can entries be stored ahead of reads by `CacheLayer.warm` (one key per id)?"""
        return data_type.uses_l2
