"""Cache-aside with TTL (lazy load) over L1 and L2, with stampede protection.

A read tries L1, then L2 (one GET). On a miss, one process loads: it holds the
key's lease in Redis (threads of one process share one call through
SingleFlight), and the others wait for its value. A stale entry (past its soft
expiry, within `stale_ttl`) is served while the lease holder refreshes it, and a
hot key may be refreshed a little early (XFetch), so it rarely goes stale.

Every store is fenced: see `RedisTier.set_if_fence` and `LocalCache.set`.
"""
from __future__ import annotations

import logging
import math
import random
import time
import uuid
from typing import Any

from ..conf import settings
from ..counters import WindowCounter
from ..errors import L2Unavailable
from ..hotkeys import sampler as hot_keys
from ..serializers import Envelope, Undecodable, unpack
from ..tiers.redis import changed_at
from .base import Result, Status, Strategy, load

logger = logging.getLogger(__name__)


class _NotLeased:
    def __repr__(self) -> str:
        return "<not leased>"


NOT_LEASED = _NotLeased()
NEGATIVE_BUDGET = WindowCounter("negative")


class CacheAside(Strategy):
    sleep = staticmethod(time.sleep)
    random = staticmethod(random.random)

    refresher = None  # set by the layer: a caching.refresher.Refresher (hot keys' early refresh)

    def fetch(self, data_type, item_id, loader) -> Result:
        metrics = data_type.metrics
        key = data_type.key(item_id)
        l1 = self.l1
        if hot_keys.tick():
            hot_keys.record(data_type.name, key)
        if data_type.uses_l1:
            entry = l1.get(key)
            if entry is not None and entry.soft_expires_at > l1.clock():
                metrics.l1_hit.inc()
                return Result(entry.value, Status.HIT_L1)
            metrics.l1_miss.inc()
        epoch = l1.epoch()
        if not data_type.uses_l2:
            value = self.flight.do(key, lambda: self._load_into_l1(data_type, item_id, key, loader, epoch),
                                   timeout=settings.LOCK_WAIT)
            return Result(value, Status.MISS)
        try:
            blob = self.tier.get(key)
        except L2Unavailable:
            # Fail-open: serve from the database, but still one load per key in this process.
            metrics.l2_error.inc()
            value = self.flight.do(key, lambda: load(data_type, item_id, loader), timeout=settings.LOCK_WAIT)
            return Result(value, Status.MISS)
        if blob is not None:
            decoded = self._decode(data_type, key, blob)
            if decoded is not None:
                return self._from_l2(data_type, item_id, key, loader, decoded, len(blob), epoch)
        metrics.l2_miss.inc()
        value = self.flight.do(key, lambda: self._miss(data_type, item_id, key, loader, epoch),
                               timeout=settings.LOCK_WAIT + settings.LOCK_TTL)
        return Result(value, Status.MISS)

    # -- hit, stale, early refresh ---------------------------------------------

    def _decode(self, data_type, key: str, blob: bytes) -> tuple[Envelope, Any] | None:
        """The envelope and value of an L2 entry; None (a miss) for bytes this layer did not
        write, which are counted, logged and dropped (fenced, like any invalidation)."""
        try:
            envelope = unpack(blob)
            return envelope, data_type.codec.loads(envelope.payload)
        except Undecodable as exc:
            data_type.metrics.undecodable.inc()
            logger.warning("cache entry %s did not decode (%s): treated as a miss", key, exc)
            self.invalidator.apply([key])
            return None

    def _from_l2(self, data_type, item_id, key, loader, decoded: tuple[Envelope, Any], size: int,
                 epoch: int) -> Result:
        envelope, value = decoded
        now = time.time()
        fresh = now < envelope.soft_expires_at
        if fresh and not self._refresh_early(envelope.delta, envelope.soft_expires_at, now):
            data_type.metrics.l2_hit.inc()
            self._promote(data_type, key, value, envelope.soft_expires_at - now, size, epoch)
            if envelope.soft_expires_at - now < data_type.ttl * settings.HOT_KEY_REFRESH_FRACTION \
                    and hot_keys.is_pinned(key):
                self._refresh_in_background(data_type, item_id, key, loader)
            return Result(value, Status.HIT_L2)
        # Stale, or picked for an early refresh: the lease holder reloads, the others serve what is there.
        refreshed = self._with_lease(data_type, item_id, key, loader, epoch, unless_stored=False)
        if refreshed is not NOT_LEASED:
            return Result(refreshed, Status.MISS)
        if fresh:
            data_type.metrics.l2_hit.inc()
            return Result(value, Status.HIT_L2)
        data_type.metrics.stale.inc()
        return Result(value, Status.STALE)

    def _refresh_in_background(self, data_type, item_id, key: str, loader) -> None:
        """A hot key near the end of its freshness is reloaded now, off the request, so that
        none of its many readers meets it stale or missing (one loader: the key's lease)."""
        if self.refresher is not None:
            self.refresher.submit(key, lambda: self._with_lease(data_type, item_id, key, loader, self.l1.epoch(),
                                                                unless_stored=False))

    def _refresh_early(self, delta: float, soft_expires_at: float, now: float) -> bool:
        """XFetch: refresh before expiry with a probability that grows as expiry nears
        and with how long the load takes (Vattani et al., "Optimal Probabilistic Cache
        Stampede Prevention")."""
        beta = settings.XFETCH_BETA
        if not beta or delta <= 0:
            return False
        return now - delta * beta * math.log(max(self.random(), 1e-12)) >= soft_expires_at

    def _stored_value(self, data_type, key: str, blob: bytes, epoch: int) -> Any:
        """Decode an entry another loader stored, and keep it in L1 for its remaining freshness;
        NOT_LEASED when it does not decode (the caller then loads)."""
        decoded = self._decode(data_type, key, blob)
        if decoded is None:
            return NOT_LEASED
        envelope, value = decoded
        self._promote(data_type, key, value, envelope.soft_expires_at - time.time(), len(blob), epoch)
        return value

    def _promote(self, data_type, key: str, value: Any, remaining: float, size: int, epoch: int) -> None:
        if data_type.uses_l1:
            ttl = min(data_type.l1_ttl, remaining)
            self.l1.set(key, value, ttl=ttl, size=size, read_epoch=epoch)

    # -- miss --------------------------------------------------------------------

    def _miss(self, data_type, item_id, key: str, loader, epoch: int) -> Any:
        """One process loads (it holds the lease); the others wait for its value."""
        loaded = self._with_lease(data_type, item_id, key, loader, epoch, unless_stored=True)
        if loaded is not NOT_LEASED:
            return loaded
        waited = self._wait_for_value(data_type, key, epoch)
        if waited is not NOT_LEASED:
            return waited
        # The holder gave up or stored nothing (an invalidation fenced it out): load ourselves.
        try:
            fence = self.tier.fences([key])[0]
        except L2Unavailable:
            return load(data_type, item_id, loader)
        return self._load_and_store(data_type, item_id, key, loader, fence, epoch, None)

    def _with_lease(self, data_type, item_id, key: str, loader, epoch: int, *, unless_stored: bool) -> Any:
        """Load and store if this process gets the key's lease, else return NOT_LEASED.

        The lease (SET NX PX with an owner token) makes one process the loader of
        a key; it expires on its own if that process dies mid-load, and only its
        owner releases it (in the script that stores the value). Taking it also
        reads the key's fence, before the loader reads the database. On a miss
        (`unless_stored`), a value another loader stored since our GET is used.
        """
        tier = self.tier
        token = uuid.uuid4().hex
        try:
            leased, fence, stored = tier.acquire_lease(
                key, token, ttl_ms=int(settings.LOCK_TTL * 1000), unless_stored=unless_stored)
        except L2Unavailable:
            return load(data_type, item_id, loader)  # no Redis, nothing to store: just load
        if stored is not None:
            return self._stored_value(data_type, key, stored, epoch)
        if not leased:
            return NOT_LEASED
        try:
            return self._load_and_store(data_type, item_id, key, loader, fence, epoch, token)
        except BaseException:
            try:
                tier.release_lease(key, token)
            except L2Unavailable:
                pass  # it expires by itself
            raise

    def _wait_for_value(self, data_type, key: str, epoch: int) -> Any:
        deadline = time.monotonic() + settings.LOCK_WAIT
        delay = 0.002
        while time.monotonic() < deadline:
            self.sleep(delay)
            delay = min(delay * 2, 0.05)
            try:
                blob, leased = self.tier.peek(key)
            except L2Unavailable:
                return NOT_LEASED
            if blob is None:
                if leased:
                    continue
                return NOT_LEASED
            return self._stored_value(data_type, key, blob, epoch)
        return NOT_LEASED

    # -- load and store ----------------------------------------------------------

    def _load_and_store(self, data_type, item_id, key: str, loader, fence: bytes, epoch: int,
                        lease_token: str | None) -> Any:
        started = time.perf_counter()
        value = load(data_type, item_id, loader, changed_at=changed_at(fence))
        delta = time.perf_counter() - started
        if data_type.is_negative(value) and not self._negative_allowed(data_type):
            if lease_token is not None:
                try:
                    self.tier.release_lease(key, lease_token)
                except L2Unavailable:
                    pass  # it expires by itself
            return value  # served, not stored: this period's budget of negative entries is spent
        blob, ttl, ttl_ms = data_type.envelope(value, delta=delta)
        try:
            stored = self.tier.set_if_fence(key, blob, ttl_ms=ttl_ms, fence=fence, release_lease=lease_token)
        except L2Unavailable:
            stored = False
        if stored:
            self._promote(data_type, key, value, ttl, len(blob), epoch)
        return value

    def _negative_allowed(self, data_type) -> bool:
        """May one more negative entry of this type be stored in this period (all processes)?"""
        count, _ = NEGATIVE_BUDGET.hit(data_type.name, window=data_type.negative_ttl)
        return count <= data_type.max_negative

    def _load_into_l1(self, data_type, item_id, key: str, loader, epoch: int) -> Any:
        value = load(data_type, item_id, loader)
        size = len(data_type.codec.dumps(value))
        ttl = min(data_type.l1_ttl, data_type.jittered_ttl())
        self.l1.set(key, value, ttl=ttl, size=size, read_epoch=epoch)
        return value
