"""Cache-aside with TTL (lazy load) over L1 and L2, with stampede protection.

A read tries L1, then L2. On a miss, one process loads (it holds the key's
lease in Redis; threads of one process share one call through SingleFlight)
and the others wait for its value. A stale entry (past its soft expiry, within
`stale_ttl`) is served while the lease holder refreshes it, and a hot key may
be refreshed a little early (XFetch), so it rarely goes stale at all.

Every store is fenced: see `RedisTier.set_if_fence` and `LocalCache.set`.
"""
from __future__ import annotations

import math
import random
import time
import uuid
from typing import Any

from ..conf import settings
from ..serializers import pack, unpack
from ..tiers.redis import L2Unavailable
from .base import Result, Status, Strategy


class CacheAside(Strategy):
    sleep = staticmethod(time.sleep)
    random = staticmethod(random.random)

    def key_for(self, data_type, item_id) -> str:
        return data_type.key(item_id)

    def fetch(self, data_type, item_id, loader) -> Result:
        layer = self.layer
        metrics = data_type.metrics
        try:
            key = self.key_for(data_type, item_id)
        except L2Unavailable:
            metrics.bypass.inc()
            return Result(layer.load(data_type, loader), Status.BYPASS)
        l1 = layer.l1
        if data_type.uses_l1:
            entry = l1.get(key)
            if entry is not None and entry.soft_expires_at > l1.clock():
                metrics.l1_hit.inc()
                return Result(entry.value, Status.HIT_L1)
            metrics.l1_miss.inc()
        epoch = l1.epoch()
        if not data_type.uses_l2:
            value = layer.flight.do(key, lambda: self._load_into_l1(data_type, key, loader, epoch),
                                    timeout=settings.LOCK_WAIT)
            return Result(value, Status.MISS)
        try:
            blob, fence = layer.tier.get_with_fence(key)
        except L2Unavailable:
            # Fail-open: serve from the database, but still one load per key in this process.
            value = layer.flight.do(key, lambda: layer.load(data_type, loader), timeout=settings.LOCK_WAIT)
            return Result(value, Status.MISS)
        if blob is not None:
            return self._from_l2(data_type, key, loader, blob, fence, epoch)
        metrics.l2_miss.inc()
        value = layer.flight.do(key, lambda: self._miss(data_type, key, loader, fence, epoch),
                                timeout=settings.LOCK_WAIT + settings.LOCK_TTL)
        return Result(value, Status.MISS)

    # -- hit, stale, early refresh ---------------------------------------------

    def _from_l2(self, data_type, key, loader, blob: bytes, fence: bytes, epoch: int) -> Result:
        envelope = unpack(blob)
        now = time.time()
        fresh = now < envelope.soft_expires_at
        if fresh and not self._refresh_early(envelope.delta, envelope.soft_expires_at, now):
            value = data_type.codec.loads(envelope.payload)
            data_type.metrics.l2_hit.inc()
            self._promote(data_type, key, value, envelope.soft_expires_at - now, len(blob), epoch)
            return Result(value, Status.HIT_L2)
        # Stale, or picked for an early refresh: the lease holder reloads, the others serve what is there.
        refreshed = self._with_lease(key, lambda: self._load_and_store(data_type, key, loader, fence, epoch))
        if refreshed is not _NOT_LEASED:
            return Result(refreshed, Status.MISS)
        value = data_type.codec.loads(envelope.payload)
        if fresh:
            data_type.metrics.l2_hit.inc()
            return Result(value, Status.HIT_L2)
        data_type.metrics.stale.inc()
        return Result(value, Status.STALE)

    def _refresh_early(self, delta: float, soft_expires_at: float, now: float) -> bool:
        """XFetch: refresh before expiry with a probability that grows as expiry nears
        and with how long the load takes (Vattani et al., "Optimal Probabilistic Cache
        Stampede Prevention")."""
        beta = settings.XFETCH_BETA
        if not beta or delta <= 0:
            return False
        return now - delta * beta * math.log(max(self.random(), 1e-12)) >= soft_expires_at

    def _promote(self, data_type, key: str, value: Any, remaining: float, size: int, epoch: int) -> None:
        if data_type.uses_l1:
            ttl = min(data_type.l1_ttl, remaining)
            self.layer.l1.set(key, value, ttl=ttl, size=size, read_epoch=epoch)

    # -- miss --------------------------------------------------------------------

    def _miss(self, data_type, key: str, loader, fence: bytes, epoch: int) -> Any:
        """One process loads (it holds the lease); the others wait for its value."""
        loaded = self._with_lease(key, lambda: self._load_and_store(data_type, key, loader, fence, epoch))
        if loaded is not _NOT_LEASED:
            return loaded
        waited = self._wait_for_value(data_type, key, epoch)
        if waited is not _NOT_LEASED:
            return waited
        # The holder gave up or stored nothing (its value was fenced out): load ourselves.
        try:
            _, fence = self.layer.tier.get_with_fence(key)
        except L2Unavailable:
            return self.layer.load(data_type, loader)
        return self._load_and_store(data_type, key, loader, fence, epoch)

    def _with_lease(self, key: str, fn) -> Any:
        """Run `fn` if this process gets the key's lease, else return _NOT_LEASED.

        The lease (SET NX PX with an owner token) makes one process the loader of
        a key; it expires on its own if that process dies mid-load, and is only
        released by its owner.
        """
        tier = self.layer.tier
        token = uuid.uuid4().hex
        try:
            leased = tier.acquire_lease(key, token, ttl_ms=int(settings.LOCK_TTL * 1000))
        except L2Unavailable:
            leased = True  # no Redis, no lease to take: load (fail-open)
            token = None
        if not leased:
            return _NOT_LEASED
        try:
            return fn()
        finally:
            if token is not None:
                try:
                    tier.release_lease(key, token)
                except L2Unavailable:
                    pass  # it expires by itself

    def _wait_for_value(self, data_type, key: str, epoch: int) -> Any:
        deadline = time.monotonic() + settings.LOCK_WAIT
        delay = 0.002
        tier = self.layer.tier
        while time.monotonic() < deadline:
            self.sleep(delay)
            delay = min(delay * 2, 0.05)
            try:
                blob, _, leased = tier.peek(key)
            except L2Unavailable:
                return _NOT_LEASED
            if blob is None:
                if leased:
                    continue
                return _NOT_LEASED
            envelope = unpack(blob)
            value = data_type.codec.loads(envelope.payload)
            self._promote(data_type, key, value, envelope.soft_expires_at - time.time(), len(blob), epoch)
            return value
        return _NOT_LEASED

    # -- load and store ----------------------------------------------------------

    def _load_and_store(self, data_type, key: str, loader, fence: bytes, epoch: int) -> Any:
        started = time.perf_counter()
        value = self.layer.load(data_type, loader)
        delta = time.perf_counter() - started
        ttl = data_type.jittered_ttl()
        payload = data_type.codec.dumps(value)
        blob = pack(payload, soft_expires_at=time.time() + ttl, delta=delta,
                    compress_threshold=settings.COMPRESS_THRESHOLD)
        try:
            stored = self.layer.tier.set_if_fence(
                key, blob, ttl_ms=int((ttl + data_type.stale_ttl) * 1000), fence=fence
            )
        except L2Unavailable:
            stored = False
        if stored:
            self._promote(data_type, key, value, ttl, len(blob), epoch)
        return value

    def _load_into_l1(self, data_type, key: str, loader, epoch: int) -> Any:
        value = self.layer.load(data_type, loader)
        size = len(data_type.codec.dumps(value))
        ttl = min(data_type.l1_ttl, data_type.jittered_ttl())
        self.layer.l1.set(key, value, ttl=ttl, size=size, read_epoch=epoch)
        return value


class _NotLeased:
    def __repr__(self) -> str:
        return "<not leased>"


_NOT_LEASED = _NotLeased()
