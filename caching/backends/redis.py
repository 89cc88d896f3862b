"""L2 as a Django cache backend: Redis standalone (LOCATION redis://...) or Cluster (OPTIONS CLUSTER).

Redis errors fail open: a read misses, a write is skipped (counted, behind the
circuit breaker) and, since Redis may still hold the old value, goes to the
outbox as a deletion applied before this process reads that Redis again;
incr/decr, which cannot pretend, raise. Writes go through the layer's ordered
invalidation primitive (caching.invalidator), so the L1 of the tiered backend
follows them the same way.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from .. import clients
from ..breaker import CircuitBreaker
from ..conf import settings
from ..errors import L2Unavailable
from ..invalidator import Invalidator
from ..metrics import count_error, count_undecodable
from ..outbox import Outbox
from ..serializers import Undecodable
from ..tiers.local import LocalCache
from ..tiers.redis import RedisTier
from . import values

logger = logging.getLogger(__name__)
_MISSING = object()

# INCRBY only an existing key: Django's incr() raises ValueError for a missing one.
INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""


@dataclass
class Level:
    """What one LOCATION's backends share in a process (Django builds a backend per thread)."""

    tier: RedisTier
    invalidator: Invalidator
    l1: LocalCache | None = None
    bus: object | None = None


_levels: dict[tuple, Level] = {}
_levels_lock = threading.Lock()


def outbox_target(location: str) -> str:
    """The outbox rows of a backend are tagged by a hash of its LOCATION (which may hold a password)."""
    return "cache:" + hashlib.sha256(location.encode()).hexdigest()[:24]


def shared_level(location: str, options: dict, *, kind: str, build_l1=None) -> Level:
    """One client, breaker and invalidator per LOCATION, kind and process."""
    cluster = bool(options.get("CLUSTER", False))
    key = (kind, location, cluster)
    with _levels_lock:
        level = _levels.get(key)
        if level is None:
            timeout = options.get("SOCKET_TIMEOUT", settings.REDIS_SOCKET_TIMEOUT)
            tier = RedisTier(
                client_factory=lambda: clients.shared_client(location, cluster=cluster, timeout=timeout),
                breaker=CircuitBreaker(failures=options.get("BREAKER_FAILURES", settings.BREAKER_FAILURES),
                                       reset_seconds=options.get("BREAKER_RESET_SECONDS",
                                                                 settings.BREAKER_RESET_SECONDS)),
                fence_ttl_ms=int(settings.FENCE_TTL * 1000),
                on_error=count_error,
            )
            l1, bus = build_l1(tier) if build_l1 else (None, None)
            invalidator = Invalidator(tier=tier, l1=l1, channel=getattr(bus, "channel", None),
                                      outbox=Outbox(outbox_target(location)))
            level = _levels[key] = Level(tier=tier, invalidator=invalidator, l1=l1, bus=bus)
        return level


def after_fork() -> None:
    """In a forked child (caching.forking): backends built before the fork keep their levels,
    which get new locks, an empty L1 and a listener of their own."""
    global _levels_lock
    _levels_lock = threading.Lock()
    for level in _levels.values():
        level.tier.breaker.after_fork()
        level.invalidator.recovery.after_fork()
        if level.l1 is not None:
            level.l1.after_fork()
        if level.bus is not None:
            level.bus.after_fork()


def reset_levels() -> None:
    """Every level as in a process that just started: breakers closed, recovery pending
    (tests, so that one test's outage does not shape the next one's behaviour)."""
    for level in list(_levels.values()):
        level.tier.breaker.after_fork()
        level.invalidator.recovery.reset()


def stop_listeners() -> None:
    """Stop the tiered backends' listener threads (at exit)."""
    for level in list(_levels.values()):
        if level.bus is not None:
            level.bus.stop()


class RedisBackend(BaseCache):
    level_kind = "l2"

    def __init__(self, location: str, params: dict):
        super().__init__(params)
        self.location = location
        self.options = params.get("OPTIONS", {})
        self.cluster = bool(self.options.get("CLUSTER", False))
        self.level = self._level()
        self.tier, self.invalidator = self.level.tier, self.level.invalidator

    def _level(self) -> Level:
        return shared_level(self.location, self.options, kind=self.level_kind)

    def _ttl_ms(self, timeout) -> int | None:
        """Milliseconds to keep a value: None means forever, <= 0 means do not keep."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        return None if timeout is None else int(timeout * 1000)

    def _call(self, op: str, fn, default=None):
        try:
            return self.tier.call(op, fn)
        except L2Unavailable:
            return default

    def _write(self, op: str, keys: list[str], fn, default=None):
        """A write of `keys`, then L1 and peers in order; a failed one goes to the outbox."""
        try:
            result = self.tier.call(op, fn)
        except L2Unavailable as exc:
            self.invalidator.write_failed(keys, exc)
            return default
        self.invalidator.written(keys)
        return result

    def _read(self, key: str):
        return self._call("get", lambda c: c.get(key))

    def _decode(self, key: str, blob: bytes | None):
        """The value of `blob`, or _MISSING: absent, or bytes this backend did not write
        (counted, logged and dropped, so the caller's next write replaces them)."""
        if blob is None:
            return _MISSING
        try:
            return values.loads(blob)
        except Undecodable as exc:
            count_undecodable("django_cache")
            logger.warning("cache value under %s did not decode (%s): treated as a miss", key, exc)
            self._write("delete", [key], lambda c: c.unlink(key))
            return _MISSING

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version)
        value = self._decode(key, self._read(key))
        return default if value is _MISSING else value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version)
        ttl_ms = self._ttl_ms(timeout)
        if ttl_ms is not None and ttl_ms <= 0:
            self._write("delete", [key], lambda c: c.delete(key))
        else:
            blob = values.dumps(value)
            self._write("set", [key], lambda c: c.set(key, blob, px=ttl_ms))

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version)
        ttl_ms = self._ttl_ms(timeout)
        blob = values.dumps(value)
        if ttl_ms is not None and ttl_ms <= 0:
            added = bool(self._call("add", lambda c: c.set(key, blob, nx=True), default=False))
            if added:
                self._write("delete", [key], lambda c: c.delete(key))
            return added
        return bool(self._write("add", [key], lambda c: c.set(key, blob, nx=True, px=ttl_ms), default=False))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version)
        ttl_ms = self._ttl_ms(timeout)
        if ttl_ms is None:
            touched = self._write("touch", [key], lambda c: c.persist(key) or c.exists(key), default=False)
        elif ttl_ms <= 0:
            touched = self._write("touch", [key], lambda c: c.delete(key), default=0)
        else:
            touched = self._write("touch", [key], lambda c: c.pexpire(key, ttl_ms), default=False)
        return bool(touched)

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version)
        return bool(self._write("delete", [key], lambda c: c.unlink(key), default=0))

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version)
        return bool(self._call("has_key", lambda c: c.exists(key), default=0))

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version)
        script = self.tier.script(INCR_EXISTING)
        result = self.tier.call("incr", lambda c: script(keys=[key], args=[delta], client=c))
        self.invalidator.written([key])
        if result is None:
            raise ValueError(f"Key '{key}' not found")
        return result

    def get_many(self, keys, version=None):
        made = {self.make_and_validate_key(key, version): key for key in keys}
        blobs = self._read_many(list(made))
        found = {made[k]: self._decode(k, blob) for k, blob in zip(made, blobs, strict=True)}
        return {key: value for key, value in found.items() if value is not _MISSING}

    def _read_many(self, keys: list[str]) -> list:
        if not keys:
            return []
        if self.cluster:
            return self._call("get_many", lambda c: c.mget_nonatomic(keys), default=[None] * len(keys))
        return self._call("get_many", lambda c: c.mget(keys), default=[None] * len(keys))

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        ttl_ms = self._ttl_ms(timeout)
        made = {self.make_and_validate_key(key, version): value for key, value in data.items()}
        if not made:
            return []
        blobs = {key: values.dumps(value) for key, value in made.items()}

        def run(client):
            pipe = client.pipeline(transaction=False)
            for key, blob in blobs.items():
                if ttl_ms is not None and ttl_ms <= 0:
                    pipe.delete(key)
                else:
                    pipe.set(key, blob, px=ttl_ms)
            pipe.execute()
            return True

        stored = self._write("set_many", list(made), run, default=False)
        return [] if stored else list(data)  # Django's contract: the keys that could not be set

    def delete_many(self, keys, version=None):
        made = [self.make_and_validate_key(key, version) for key in keys]
        if made:
            self._write("delete_many", made, lambda c: c.unlink(*made))

    def clear(self):
        self._call("clear", lambda c: c.flushdb())
        return True

    def drain_outbox(self) -> int:
        """Apply this backend's pending deletions (caching.drain); 0 while Redis cannot take them."""
        try:
            return self.invalidator.drain()
        except L2Unavailable:
            return 0
