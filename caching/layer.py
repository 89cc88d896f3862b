"""The cache layer: L1 and L2, the invalidation primitive and the strategies, wired together."""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from . import keys
from .coherence import InvalidationBus
from .conf import settings
from .datatypes import DataType, Registry
from .errors import L2Unavailable
from .hotkeys import sampler as hot_keys
from .invalidator import Invalidator
from .refresher import Refresher
from .serializers import Undecodable, unpack
from .singleflight import SingleFlight
from .strategies import STRATEGY_CLASSES, Result, Status, Strategy
from .strategies.base import load, reading_primary_if
from .tiers.local import LocalCache
from .tiers.redis import RedisTier, changed_at

logger = logging.getLogger(__name__)


class CacheLayer:
    """Reads through the data type's strategy; every invalidation goes through one Invalidator."""

    def __init__(self, *, l1: LocalCache, tier: RedisTier, bus: InvalidationBus, registry: Registry,
                 invalidator: Invalidator):
        self.l1 = l1
        self.tier = tier
        self.bus = bus
        self.registry = registry
        self.invalidator = invalidator
        self.flight = SingleFlight()
        self.refresher = Refresher()
        self.strategies: dict[str, Strategy] = {
            name: cls(tier=tier, l1=l1, flight=self.flight, invalidator=invalidator)
            for name, cls in STRATEGY_CLASSES.items()
        }
        self.strategies["generational"].refresher = self.refresher
        self.strategies["cache_aside"].refresher = self.refresher
        # The layer owns recovery: a lost link or a RECOVER broadcast means invalidations
        # may be pending in the outbox; after a reconnect the listener drains it at once.
        bus.on_link_lost = invalidator.recovery.require
        bus.on_recover = invalidator.recovery.require
        bus.on_link_up = self._recover_quietly

    @property
    def recovery(self):
        return self.invalidator.recovery

    # Reads -----------------------------------------------------------------

    def fetch(self, data_type: str | DataType, item_id: Any, loader: Callable[[], Any] | None = None) -> Result:
        """The value of `item_id` and where it came from (`Status`)."""
        data_type = self.registry.get(data_type)
        if loader is None and data_type.loader is None:
            raise TypeError(f"{data_type.name} has no registered loader: pass one")
        if not settings.ENABLED:
            data_type.metrics.bypass.inc()
            return Result(load(data_type, item_id, loader), Status.BYPASS)
        self.bus.ensure_started()
        return self.strategies[data_type.strategy].fetch(data_type, item_id, loader)

    def get_many(self, data_type: str | DataType, item_ids: list[Any],
                 load_many: Callable[[list[Any]], dict[Any, Any]]) -> dict[Any, Any]:
        """The values of many ids of a cache-aside type at once: L1, then one round trip to
        L2 for the rest, then one `load_many(ids) -> {id: value}` for what is still
        missing, stored fenced like `warm`. Ids `load_many` leaves out are left out."""
        data_type = self.registry.get(data_type)
        if not settings.ENABLED:
            return load_many(list(item_ids))
        self.bus.ensure_started()
        found: dict[Any, Any] = {}
        cache_keys = {item_id: data_type.key(item_id) for item_id in item_ids}
        metrics = data_type.metrics
        if cache_keys and hot_keys.tick():  # one sample per call, of one of its keys
            hot_keys.record(data_type.name, random.choice(list(cache_keys.values())))
        if data_type.uses_l1:
            now = self.l1.clock()
            for item_id, key in cache_keys.items():
                entry = self.l1.get(key)
                if entry is not None and entry.soft_expires_at > now:
                    found[item_id] = entry.value
            metrics.l1_hit.inc(len(found))
            metrics.l1_miss.inc(len(cache_keys) - len(found))
        missing = [item_id for item_id in cache_keys if item_id not in found]
        if not missing:
            return found
        epoch = self.l1.epoch()
        try:
            blobs = self.tier.get_many([cache_keys[item_id] for item_id in missing])
        except L2Unavailable:
            metrics.l2_error.inc(len(missing))
            found.update(load_many(missing))
            return found
        now = time.time()
        still_missing = []
        for item_id, blob in zip(missing, blobs, strict=True):
            envelope = _unpack_fresh(blob, now)
            if envelope is None:
                still_missing.append(item_id)
                continue
            try:
                value = data_type.codec.loads(envelope.payload)
            except Undecodable:
                still_missing.append(item_id)
                continue
            found[item_id] = value
            if data_type.uses_l1:
                self.l1.set(cache_keys[item_id], value, ttl=min(data_type.l1_ttl, envelope.soft_expires_at - now),
                            size=len(blob), read_epoch=epoch)
        metrics.l2_hit.inc(len(missing) - len(still_missing))
        metrics.l2_miss.inc(len(still_missing))
        if still_missing:
            loaded = self._fenced_load_many(data_type, still_missing, [cache_keys[i] for i in still_missing],
                                            load_many, epoch=epoch)
            found.update(load_many(still_missing) if loaded is None else loaded[0])
            metrics.loads.inc()
        return found

    def warm(self, data_type: str | DataType, item_ids: list[Any],
             load_many: Callable[[list[Any]], dict[Any, Any]]) -> int:
        """Load many items at once and store them (cache warming); returns how many were stored."""
        data_type = self.registry.get(data_type)
        if not settings.ENABLED or not self.strategies[data_type.strategy].warmable(data_type):
            return 0
        loaded = self._fenced_load_many(data_type, item_ids, [data_type.key(item_id) for item_id in item_ids],
                                        load_many)
        return 0 if loaded is None else loaded[1]

    def _fenced_load_many(self, data_type: DataType, item_ids: list[Any], cache_keys: list[str], load_many, *,
                          epoch: int | None = None) -> tuple[dict[Any, Any], int] | None:
        """Load many items with one `load_many` and store them, fenced like a single load: the
        fences are read before `load_many` reads the database, so an item invalidated meanwhile
        is not stored stale. With `epoch`, the values go into L1 too. Returns the values and how
        many were stored, or None (nothing loaded) when Redis cannot give the fences."""
        try:
            fences = self.tier.fences(cache_keys)
        except L2Unavailable:
            return None
        with reading_primary_if(max((changed_at(fence) or 0 for fence in fences), default=0) or None):
            values = load_many(item_ids)
        entries = []
        for item_id, key, fence in zip(item_ids, cache_keys, fences, strict=True):
            if item_id in values:
                blob, ttl, ttl_ms = data_type.envelope(values[item_id])
                entries.append((key, blob, ttl_ms, fence))
                if epoch is not None and data_type.uses_l1:
                    self.l1.set(key, values[item_id], ttl=min(data_type.l1_ttl, ttl), size=len(blob),
                                read_epoch=epoch)
        try:
            stored = self.tier.set_many_if_fence(entries)
        except L2Unavailable:
            stored = 0
        return values, stored

    # Writes ----------------------------------------------------------------

    def put(self, data_type: str | DataType, item_id: Any, loader: Callable[[], Any]) -> bool:
        """Write-through: store what `loader()` reads now (its data version from
        `data_type.version_of`). Call it after commit."""
        data_type = self.registry.get(data_type)
        if not settings.ENABLED:
            return False
        self.bus.ensure_started()
        return self.strategies[data_type.strategy].put(data_type, item_id, loader)

    def invalidation_for(self, data_type: DataType, item_ids: Iterable[Any]) -> tuple[list[str], list[str]]:
        """The keys to drop and the namespaces to bump when `item_ids` of `data_type` change."""
        cache_keys, namespaces = self.strategies[data_type.strategy].invalidation(data_type, list(item_ids))
        if cache_keys:
            data_type.metrics.invalidations.inc(len(cache_keys))
        return cache_keys, namespaces

    def apply_invalidation(self, cache_keys: Iterable[str], namespaces: Iterable[str]) -> bool:
        """Drop keys and bump generations in Redis, this process's L1 and every peer's L1, now
        (in that order); through the outbox when Redis cannot take it."""
        gen_keys = [keys.generation_key(settings.KEY_PREFIX, ns) for ns in namespaces]
        if not settings.ENABLED:
            self.l1.invalidate([*cache_keys, *gen_keys])
            return True
        return self.invalidator.apply(cache_keys, gen_keys)

    def drain_outbox(self) -> int:
        """Apply pending invalidations now (beat's periodic drain); 0 when Redis cannot take them."""
        try:
            return self.invalidator.drain()
        except L2Unavailable as exc:
            logger.warning("cache outbox not drained, Redis unavailable: %s", exc)
            return 0

    # Recovery --------------------------------------------------------------

    def _recover_quietly(self) -> None:
        """The listener's drain after a reconnect: its own database connection, checked first
        (Django only recycles connections around requests) and closed after."""
        from django.db import close_old_connections, connection

        close_old_connections()
        try:
            self.recovery.ensure()
        except L2Unavailable:
            pass  # a request will try again
        finally:
            connection.close()


def _unpack_fresh(blob: bytes | None, now: float):
    """The envelope of an entry that is there and still fresh, else None."""
    if blob is None:
        return None
    try:
        envelope = unpack(blob)
    except Undecodable:
        return None
    return envelope if now < envelope.soft_expires_at else None
