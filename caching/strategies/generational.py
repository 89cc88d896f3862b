"""Generational: entries invalidated a whole namespace at a time, in O(1), and served stale
within a bound while one background refresh rebuilds them.

An entry depends on one or more namespaces (a category's listing on the category's
membership and on its price order, say). Bumping a namespace's generation makes every
entry built under an older one stale at once: no SCAN, no DEL. An entry is stored with
the generations it was built under (read before its loader reads the database), and
a store never replaces an entry built under newer generations, so a slow loader
cannot put an older entry back.

A read compares the entry's generations with the current ones. Equal (and within its
TTL): a hit. Older, and bumped less than `max_staleness` seconds ago: the old entry is
served (STALE) while one background refresh rebuilds it, so no request waits for a
rebuild. Otherwise: a miss, loaded once (single flight in the process, the key's
lease across processes).

Generations only go up (a bump is max(current + 1, the clock in microseconds): the
value says when the bump happened; a lost or foreign one is replaced by the clock,
never by 0), live in Redis with a TTL far longer than any entry's, and are kept in
L1 like any value, dropped there by the broadcast of their bump.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

from .. import keys
from ..conf import settings
from ..errors import L2Unavailable
from ..hotkeys import sampler as hot_keys
from .base import Result, Status, load
from .cache_aside import NOT_LEASED, CacheAside


class Generational(CacheAside):
    refresher = None  # set by the layer: a caching.refresher.Refresher

    def generations(self, namespaces: list[str]) -> tuple[int, ...]:
        """The namespaces' current generations: L1 (kept coherent by the broadcast), else Redis."""
        return tuple(self.generation(namespace) for namespace in namespaces)

    def generation(self, namespace: str) -> int:
        gen_key = keys.generation_key(settings.KEY_PREFIX, namespace)
        entry = self.l1.get(gen_key)
        if entry is not None:
            return entry.value
        epoch = self.l1.epoch()
        generation = self.tier.generation(gen_key)
        self.l1.set(gen_key, generation, ttl=settings.L1_TTL, size=16, read_epoch=epoch)
        return generation

    def fetch(self, data_type, item_id, loader) -> Result:
        metrics = data_type.metrics
        key = data_type.key(item_id)
        if hot_keys.tick():
            hot_keys.record(data_type.name, key)
        try:
            current = self.generations(data_type.namespaces_of(item_id))
        except L2Unavailable:
            metrics.l2_error.inc()
            return Result(load(data_type, item_id, loader), Status.BYPASS)
        now = time.time()
        if data_type.uses_l1:
            entry = self.l1.get(key)
            if entry is not None and entry.value[0] == current and entry.soft_expires_at > self.l1.clock():
                metrics.l1_hit.inc()
                return Result(entry.value[1], Status.HIT_L1)
            metrics.l1_miss.inc()
        epoch = self.l1.epoch()
        try:
            blob, built_under = self.tier.get_versioned(key)
        except L2Unavailable:
            metrics.l2_error.inc()
            value = self.flight.do(key, lambda: load(data_type, item_id, loader), timeout=settings.LOCK_WAIT)
            return Result(value, Status.MISS)
        decoded = self._decode(data_type, key, blob) if blob is not None else None
        if decoded is not None:
            envelope, value = decoded
            stored = _parse(built_under)
            if stored == current and now < envelope.soft_expires_at:
                metrics.l2_hit.inc()
                self._promote(data_type, key, (current, value), envelope.soft_expires_at - now, len(blob), epoch)
                return Result(value, Status.HIT_L2)
            if self._stale_for(stored, current, envelope.soft_expires_at, now) <= data_type.max_staleness:
                self._refresh_later(data_type, item_id, key, loader)
                metrics.stale.inc()
                return Result(value, Status.STALE)
        metrics.l2_miss.inc()
        value = self.flight.do(key, lambda: self._miss(data_type, item_id, key, loader, current, epoch),
                               timeout=settings.LOCK_WAIT + settings.LOCK_TTL)
        return Result(value, Status.MISS)

    @staticmethod
    def _stale_for(stored: tuple[int, ...] | None, current: tuple[int, ...], soft_expires_at: float,
                   now: float) -> float:
        """How long ago the entry turned stale: the latest bump it missed (a generation is the
        clock of its bump, in microseconds), or its TTL's end."""
        if stored is None or len(stored) != len(current):
            return float("inf")
        if any(s > c for s, c in zip(stored, current, strict=True)):
            return float("inf")  # built under generations this process has not seen yet: reload
        bumped = [c for s, c in zip(stored, current, strict=True) if c != s]
        if bumped:
            return now - max(bumped) / 1_000_000
        return now - soft_expires_at

    def _refresh_later(self, data_type, item_id, key: str, loader) -> None:
        if self.refresher is None:
            return

        def refresh() -> None:
            current = self.generations(data_type.namespaces_of(item_id))  # read before the load
            self._load_under_lease(data_type, item_id, key, loader, current, self.l1.epoch())

        self.refresher.submit(key, refresh)

    def _miss(self, data_type, item_id, key: str, loader, current: tuple[int, ...], epoch: int) -> Any:
        loaded = self._load_under_lease(data_type, item_id, key, loader, current, epoch)
        if loaded is not NOT_LEASED:
            return loaded
        waited = self._wait_for_value(data_type, key, epoch=None)  # another process loads: its value
        if waited is not NOT_LEASED:
            return waited
        return self._load_and_store_versioned(data_type, item_id, key, loader, current, epoch, None)

    def _load_under_lease(self, data_type, item_id, key: str, loader, current: tuple[int, ...], epoch: int) -> Any:
        """Load and store if this process gets the key's lease, else NOT_LEASED."""
        token = uuid.uuid4().hex
        try:
            leased, _, _ = self.tier.acquire_lease(key, token, ttl_ms=int(settings.LOCK_TTL * 1000))
        except L2Unavailable:
            return load(data_type, item_id, loader)
        if not leased:
            return NOT_LEASED
        return self._load_and_store_versioned(data_type, item_id, key, loader, current, epoch, token)

    def _load_and_store_versioned(self, data_type, item_id, key: str, loader, current: tuple[int, ...],
                                  epoch: int, lease_token: str | None) -> Any:
        started = time.perf_counter()
        # A generation is the clock (µs) at its last bump: the namespace's last change.
        value = load(data_type, item_id, loader, changed_at=max(current, default=0) / 1_000_000 or None)
        blob, ttl, ttl_ms = data_type.envelope(value, delta=time.perf_counter() - started)
        try:
            stored = self.tier.store_versioned(key, blob, ttl_ms=ttl_ms, generations=_format(current),
                                               release_lease=lease_token)
        except L2Unavailable:
            stored = False
        if stored:
            self._promote(data_type, key, (current, value), ttl, len(blob), epoch)
        return value

    def _stored_value(self, data_type, key: str, blob: bytes, epoch) -> Any:
        # A value another process stored while we waited: served, not kept in L1 (its
        # generations are not known here).
        decoded = self._decode(data_type, key, blob)
        return NOT_LEASED if decoded is None else decoded[1]

    def invalidation(self, data_type, item_ids) -> tuple[list[str], list[str]]:
        # Never key by key: the rules name the namespaces a change bumps; a type with one
        # fixed namespace bumps it on any change.
        namespaces = [str(ns) for ns in item_ids] if callable(data_type.namespace) else [data_type.namespace]
        return [], [*data_type.bumps, *namespaces]

    def warmable(self, data_type) -> bool:
        return False


def _format(generations: tuple[int, ...]) -> str:
    return ",".join(str(g) for g in generations)


def _parse(raw: bytes | None) -> tuple[int, ...] | None:
    try:
        return tuple(int(g) for g in raw.split(b",")) if raw else None
    except ValueError:
        return None
