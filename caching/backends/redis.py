"""L2 as a Django cache backend: Redis standalone (LOCATION redis://...) or Cluster (OPTIONS CLUSTER).

Redis errors fail open: a read misses, a write is skipped (counted, behind the
circuit breaker); incr/decr, which cannot pretend, raise.
"""
from __future__ import annotations

import logging
import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from ..breaker import CircuitBreaker
from ..metrics import count_error, count_undecodable
from ..serializers import Undecodable
from ..tiers.redis import L2Unavailable, RedisTier
from . import values

logger = logging.getLogger(__name__)
_MISSING = object()

# INCRBY only an existing key: Django's incr() raises ValueError for a missing one.
INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""

_tiers: dict[tuple[str, bool], RedisTier] = {}
_tiers_lock = threading.Lock()


def make_client(location: str, *, cluster: bool, timeout: float):
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.cluster import RedisCluster
    from redis.retry import Retry

    # No retries with backoff: a Redis outage must cost one short timeout, not seconds.
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": Retry(NoBackoff(), 0)}
    if cluster:
        return RedisCluster.from_url(location, **options)
    return Redis.from_url(location, **options)


def shared_tier(location: str, options: dict) -> RedisTier:
    """One client and breaker per LOCATION and process (Django builds a backend per thread)."""
    cluster = bool(options.get("CLUSTER", False))
    with _tiers_lock:
        tier = _tiers.get((location, cluster))
        if tier is None:
            client = make_client(location, cluster=cluster, timeout=options.get("SOCKET_TIMEOUT", 0.25))
            tier = _tiers[(location, cluster)] = RedisTier(
                client_factory=lambda: client,
                breaker=CircuitBreaker(failures=options.get("BREAKER_FAILURES", 5),
                                       reset_seconds=options.get("BREAKER_RESET_SECONDS", 2.0)),
                fence_ttl_ms=86_400_000,
                on_error=count_error,
            )
        return tier


class RedisBackend(BaseCache):
    def __init__(self, location: str, params: dict):
        super().__init__(params)
        self.location = location
        self.options = params.get("OPTIONS", {})
        self.cluster = bool(self.options.get("CLUSTER", False))
        self.tier = shared_tier(location, self.options)

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

    # Hooks the tiered backend uses to keep L1 in step.
    def _changed(self, keys: list[str]) -> None:
        pass

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
            self._call("delete", lambda c: c.unlink(key))
            self._changed([key])
            return _MISSING

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version)
        value = self._decode(key, self._read(key))
        return default if value is _MISSING else value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version)
        ttl_ms = self._ttl_ms(timeout)
        if ttl_ms is not None and ttl_ms <= 0:
            self._call("delete", lambda c: c.delete(key))
        else:
            self._call("set", lambda c: c.set(key, values.dumps(value), px=ttl_ms))
        self._changed([key])

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version)
        ttl_ms = self._ttl_ms(timeout)
        blob = values.dumps(value)
        if ttl_ms is not None and ttl_ms <= 0:
            added = bool(self._call("add", lambda c: c.set(key, blob, nx=True), default=False))
            if added:
                self._call("delete", lambda c: c.delete(key))
            return added
        added = bool(self._call("add", lambda c: c.set(key, blob, nx=True, px=ttl_ms), default=False))
        if added:
            self._changed([key])
        return added

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version)
        ttl_ms = self._ttl_ms(timeout)
        if ttl_ms is None:
            touched = self._call("touch", lambda c: c.persist(key) or c.exists(key), default=False)
        elif ttl_ms <= 0:
            touched = self._call("touch", lambda c: c.delete(key), default=0)
        else:
            touched = self._call("touch", lambda c: c.pexpire(key, ttl_ms), default=False)
        self._changed([key])
        return bool(touched)

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version)
        deleted = self._call("delete", lambda c: c.unlink(key), default=0)
        self._changed([key])
        return bool(deleted)

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version)
        return bool(self._call("has_key", lambda c: c.exists(key), default=0))

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version)
        script = self.tier.script(INCR_EXISTING)
        result = self.tier.call("incr", lambda c: script(keys=[key], args=[delta], client=c))
        self._changed([key])
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

        def run(client):
            pipe = client.pipeline(transaction=False)
            for key, value in made.items():
                if ttl_ms is not None and ttl_ms <= 0:
                    pipe.delete(key)
                else:
                    pipe.set(key, values.dumps(value), px=ttl_ms)
            pipe.execute()

        stored = self._call("set_many", lambda c: run(c) or True, default=False)
        self._changed(list(made))
        return [] if stored else list(data)  # Django's contract: the keys that could not be set

    def delete_many(self, keys, version=None):
        made = [self.make_and_validate_key(key, version) for key in keys]
        if made:
            self._call("delete_many", lambda c: c.unlink(*made))
            self._changed(made)

    def clear(self):
        self._call("clear", lambda c: c.flushdb())
        return True
