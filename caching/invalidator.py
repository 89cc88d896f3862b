"""The one ordered invalidation primitive, used by every strategy and backend.

    Redis first (new fences, deleted values, bumped generations),
    then this process's L1,
    then the broadcast, which every process applies to its L1, this one included.

In that order, no reader can put an old value back: a reader of this process
that read L2 before the Redis step has an L1 epoch older than the L1 step, so
its promotion is refused; one that reads after the Redis step finds nothing old
in L2. The broadcast is the same for everyone, so a process holds no special
case for its own writes.

When Redis cannot take an invalidation, it is written to the outbox (the
database), L1 drops the keys all the same, and every process that can still
hear the broadcast is told to read no L2 until the outbox has been applied
(`Recovery`): a value it invalidated cannot be served from Redis after the fault.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from .coherence import KEYS, RECOVER, encode
from .errors import L2Unavailable
from .outbox import Outbox
from .tiers.local import LocalCache
from .tiers.redis import RedisTier

logger = logging.getLogger(__name__)


class Recovery:
    """Whether this process may use L2: not while invalidations may be pending in the outbox.

    Set when this process saw Redis fail, lost its broadcast link, heard a RECOVER,
    or just started; cleared by draining the outbox into Redis (`ensure`, which the
    tier calls before every command while it is set).
    """

    clock = staticmethod(time.monotonic)

    def __init__(self, *, outbox: Outbox | None, drain, retry_seconds: float = 1.0):
        self.outbox = outbox
        self._drain = drain
        self.retry_seconds = retry_seconds
        self.needed = outbox is not None  # another process may have left work while we were away
        self._requests = 0  # counts require(): a drain clears `needed` only if none came meanwhile
        self._lock = threading.Lock()
        # After a failed drain, requests do not try again (a database query each) before this.
        self._next_attempt = 0.0

    def require(self) -> None:
        if self.outbox is not None:
            self._requests += 1
            self.needed = True

    def ensure(self) -> None:
        """Drain the outbox if needed; L2Unavailable when that cannot be done now."""
        if not self.needed:
            return
        if self.clock() < self._next_attempt:
            raise L2Unavailable("recover: pending invalidations not applied yet")
        with self._lock:
            if not self.needed:
                return
            requests = self._requests
            try:
                self._drain()
            except Exception as exc:
                self._next_attempt = self.clock() + self.retry_seconds
                if isinstance(exc, L2Unavailable):
                    raise
                # The outbox's database is unreachable: L2 stays unsafe.
                logger.warning("cache recovery failed, serving from the database: %s", exc)
                raise L2Unavailable(f"recover: {exc}") from exc
            # Another thread's invalidation may have failed during the drain, after the
            # outbox was read: then this process stays unsafe until the next drain.
            self.needed = self._requests != requests

    def after_fork(self) -> None:
        self._lock = threading.Lock()
        self._next_attempt = 0.0
        self.require()

    def reset(self) -> None:
        """As in a process that just started: drain once before the first L2 command."""
        self._next_attempt = 0.0
        self.needed = self.outbox is not None


class Invalidator:
    def __init__(self, *, tier: RedisTier, l1: LocalCache | None, channel: str | None, outbox: Outbox | None,
                 retry_seconds: float = 1.0):
        self.tier = tier
        self.l1 = l1
        self.channel = channel
        self.outbox = outbox
        self.recovery = Recovery(outbox=outbox, drain=self.drain, retry_seconds=retry_seconds)
        tier.guard = self.recovery.ensure
        tier.on_unavailable = self.recovery.require

    def apply(self, keys: Iterable[str], generation_keys: Iterable[str] = ()) -> bool:
        """Invalidate `keys` and bump `generation_keys` everywhere, in order. False when Redis
        could not take it (then it is in the outbox, and L2 is not read until it is applied)."""
        keys, generation_keys = sorted(set(keys)), sorted(set(generation_keys))
        if not keys and not generation_keys:
            return True
        try:
            self.tier.invalidate(keys, generation_keys)
        except L2Unavailable as exc:
            self._defer(keys, generation_keys, exc)
            return False
        self._after_redis(keys + generation_keys)
        return True

    def written(self, keys: list[str]) -> None:
        """`keys` were just written in Redis (write-through, a Django cache set): L1, then peers."""
        self._after_redis(keys)

    def write_failed(self, keys: list[str], exc: Exception) -> None:
        """A write of `keys` did not reach Redis: the old values there must not come back."""
        self._defer(keys, [], exc)

    def _after_redis(self, all_keys: list[str]) -> None:
        if self.l1 is not None:
            self.l1.invalidate(all_keys)
        if not self._broadcast(encode(KEYS, all_keys)) and self.outbox is not None:
            # Redis took it, but the other processes did not hear it: their L1 may keep the
            # old values. The drain applies it again and broadcasts it.
            self._record(all_keys, [])

    def _defer(self, keys: list[str], generation_keys: list[str], exc: Exception) -> None:
        logger.warning("cache invalidation deferred to the outbox: %s", exc)
        self._record(keys, generation_keys)
        self.recovery.require()
        if self.l1 is not None:
            self.l1.invalidate(keys + generation_keys)
        # PUBLISH still works on a read-only replica or a full server: peers that can
        # hear it stop reading L2 until the outbox is applied. Peers that cannot have
        # lost their link and do the same by themselves.
        self._broadcast(encode(RECOVER))

    def _record(self, keys: list[str], generation_keys: list[str]) -> None:
        if self.outbox is None:
            return
        try:
            self.outbox.record(keys, generation_keys)
        except Exception:  # the database is down too: nothing can keep it; say so loudly
            logger.error("cache invalidation LOST (Redis and the outbox's database both failed): %d keys, "
                         "%d generations", len(keys), len(generation_keys), exc_info=True)

    def _broadcast(self, message: bytes) -> bool:
        """Publish to every process; False when Redis did not take it."""
        if not self.channel:
            return True
        try:
            self.tier.publish(self.channel, message, guarded=False)
        except L2Unavailable:
            return False
        return True

    def drain(self) -> int:
        """Apply the outbox to Redis and broadcast it (any process may do it; beat does it
        periodically). L2Unavailable when Redis cannot take it yet."""
        if self.outbox is None:
            return 0

        def apply(keys: list[str], generation_keys: list[str]) -> None:
            # Every step must succeed, the broadcast included, or the batch stays for later.
            self.tier.invalidate(keys, generation_keys, guarded=False)
            if self.l1 is not None:
                self.l1.invalidate(keys + generation_keys)
            if self.channel:
                self.tier.publish(self.channel, encode(KEYS, keys + generation_keys), guarded=False)

        applied = self.outbox.replay(apply)
        if applied:
            logger.info("cache outbox: %d pending invalidations applied", applied)
        return applied
