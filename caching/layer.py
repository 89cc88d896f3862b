"""The cache layer: L1 and L2, the invalidation bus and the strategies, wired together."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from . import keys
from .coherence import InvalidationBus, encode_keys
from .conf import settings
from .datatypes import DataType, Registry
from .metrics import count_undecodable
from .singleflight import SingleFlight
from .strategies import STRATEGY_CLASSES, Result, Status, Strategy
from .tiers.local import LocalCache
from .tiers.redis import L2Unavailable, RedisTier

logger = logging.getLogger(__name__)


class CacheLayer:
    """Reads through the data type's strategy; applies invalidations to L1, L2 and peers."""

    def __init__(
        self,
        *,
        l1: LocalCache,
        tier: RedisTier,
        bus: InvalidationBus,
        registry: Registry,
        outbox=None,
        channel: str,
    ):
        self.l1 = l1
        self.tier = tier
        self.bus = bus
        self.registry = registry
        self.outbox = outbox
        self.channel = channel
        self.flight = SingleFlight()
        self.strategies: dict[str, Strategy] = {name: cls(self) for name, cls in STRATEGY_CLASSES.items()}
        tier.recover = self._recover
        # Another process may have left invalidations in the outbox while Redis
        # was away: replay them before this process first reads L2.
        tier.needs_recovery = outbox is not None
        bus.on_link_lost = self._on_link_lost

    # Reads -----------------------------------------------------------------

    def fetch(self, data_type: str | DataType, item_id: Any, loader: Callable[[], Any] | None = None) -> Result:
        """The value of `item_id` and where it came from (`Status`)."""
        data_type = self.registry.get(data_type)
        if loader is None and data_type.loader is None:
            raise TypeError(f"{data_type.name} has no registered loader: pass one")
        if not settings.ENABLED:
            data_type.metrics.bypass.inc()
            return Result(self.load(data_type, item_id, loader), Status.BYPASS)
        self.bus.ensure_started()
        return self.strategies[data_type.strategy].fetch(data_type, item_id, loader)

    def load(self, data_type: DataType, item_id: Any, loader: Callable[[], Any] | None) -> Any:
        """Call `loader()`, or the registered `data_type.loader(item_id)`, counted and timed."""
        started = time.perf_counter()
        try:
            return loader() if loader is not None else data_type.loader(item_id)
        finally:
            data_type.metrics.loads.inc()
            data_type.metrics.load_seconds.observe(time.perf_counter() - started)

    def generation(self, namespace: str) -> int:
        """The namespace's current generation: L1 (kept coherent by the bus), else Redis."""
        gen_key = keys.generation_key(settings.KEY_PREFIX, namespace)
        entry = self.l1.get(gen_key)
        if entry is not None:
            return entry.value
        epoch = self.l1.epoch()
        raw = self.tier.call("generation", lambda c: c.get(gen_key))
        try:
            generation = int(raw or 0)
        except ValueError:
            # Not written by us: a generation we never used replaces it (entries stored
            # under whatever it held are unreachable from now on).
            count_undecodable("generation")
            logger.warning("generation key %s held a value that is not a number: moved on", gen_key)
            generation = self.tier.bump_generation(gen_key)
        self.l1.set(gen_key, generation, ttl=settings.L1_TTL, size=16, read_epoch=epoch)
        return generation

    def warm(self, data_type: str | DataType, item_ids: list[Any],
             load_many: Callable[[list[Any]], dict[Any, Any]]) -> int:
        """Load many items at once and store them (cache warming); returns how many were stored.

        Fenced like a single load: the fences are read before `load_many` reads
        the database, so an item invalidated meanwhile is not stored stale.
        """
        data_type = self.registry.get(data_type)
        if not settings.ENABLED or not data_type.uses_l2 or data_type.strategy == "generational":
            return 0
        keys = [data_type.key(item_id) for item_id in item_ids]
        try:
            fences = self.tier.fences(keys)
        except L2Unavailable:
            return 0
        values = load_many(item_ids)
        entries = []
        for item_id, key, fence in zip(item_ids, keys, fences, strict=True):
            if item_id in values:
                blob, _, ttl_ms = data_type.envelope(values[item_id])
                entries.append((key, blob, ttl_ms, fence))
        try:
            return self.tier.set_many_if_fence(entries)
        except L2Unavailable:
            return 0

    # Writes ----------------------------------------------------------------

    def put(self, data_type: str | DataType, item_id: Any, value: Any, *, version: int) -> bool:
        """Write-through: store `value` (data version `version`) now. Call it after commit."""
        data_type = self.registry.get(data_type)
        if not settings.ENABLED:
            return False
        self.bus.ensure_started()
        return self.strategies[data_type.strategy].put(data_type, item_id, value, version=version)

    def invalidation_for(self, data_type: DataType, item_ids: Iterable[Any]) -> tuple[list[str], list[str]]:
        """The keys to drop and the namespaces to bump when `item_ids` of `data_type` change."""
        strategy = self.strategies[data_type.strategy]
        item_ids = list(item_ids)
        cache_keys = strategy.keys_to_invalidate(data_type, item_ids)
        namespaces = list(data_type.bumps)
        if data_type.strategy == "generational":
            if callable(data_type.namespace):
                namespaces.extend(data_type.namespace(item_id) for item_id in item_ids)
            else:
                namespaces.append(data_type.namespace)
        if cache_keys:
            data_type.metrics.invalidations.inc(len(cache_keys))
        return cache_keys, namespaces

    def apply_invalidation(self, cache_keys: Iterable[str], namespaces: Iterable[str]) -> None:
        """Drop keys and bump generations in L1, L2 and every peer's L1, now.

        If Redis cannot take it, the invalidation goes to the outbox (database)
        and is replayed before any process reads L2 again.
        """
        cache_keys = sorted(set(cache_keys))
        gen_keys = sorted({keys.generation_key(settings.KEY_PREFIX, ns) for ns in namespaces})
        if not cache_keys and not gen_keys:
            return
        self.l1.invalidate(cache_keys + gen_keys)
        if not settings.ENABLED:
            return
        try:
            message = encode_keys(self.bus.sender_id, cache_keys + gen_keys)
            self.tier.invalidate(cache_keys, generation_keys=gen_keys, channel=self.channel, message=message)
        except L2Unavailable as exc:
            logger.warning("cache invalidation deferred to the outbox: %s", exc)
            if self.outbox is not None:
                self.outbox.record(cache_keys, gen_keys)

    def broadcast(self, cache_keys: list[str]) -> None:
        """Tell every process to drop `cache_keys` from its L1."""
        try:
            self.tier.publish(self.channel, encode_keys(self.bus.sender_id, cache_keys))
        except L2Unavailable:
            pass  # peers' links are down too: they flushed their L1 and keep it off

    # Recovery --------------------------------------------------------------

    def _on_link_lost(self) -> None:
        self.tier.needs_recovery = self.outbox is not None

    def _recover(self, apply: Callable[..., None]) -> None:
        """Replay the outbox into Redis; L1 starts over too."""
        self.l1.clear()
        if self.outbox is not None:
            self.outbox.replay(apply, channel=self.channel, sender=self.bus.sender_id)


_layer: CacheLayer | None = None
_layer_lock = threading.Lock()


def get_layer() -> CacheLayer:
    """This process's cache layer, built on first use from CACHING settings."""
    global _layer
    if _layer is None:
        with _layer_lock:
            if _layer is None:
                from .connection import build_layer

                _layer = build_layer()
    return _layer


def reset_layer() -> None:
    """Stop and forget this process's layer (tests, settings changes)."""
    global _layer
    with _layer_lock:
        if _layer is not None:
            _layer.bus.stop()
        _layer = None
