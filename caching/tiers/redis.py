"""L2: Redis, standalone or Cluster, through one redis-py client (caching.clients).

This module speaks to Redis and nothing else: it knows keys and bytes, not data
types, and not what to do about an outage. Every call goes through a circuit
breaker; an error of the server's state or of the network (caching.errors) is
counted and turned into `L2Unavailable`, which callers treat as a miss. `guard`,
called before every command, lets the layer replay pending invalidations first.

Fences: every entry `key` has a companion `key:fence` holding a token. An
invalidation sets a fresh token; a loader reads the token before it reads the
database and stores only if the token is still the same (SET_IF_FENCE). Tokens
are never reused, and a loader always holds a real one (reading a missing fence
creates it), so a fence that expires or is evicted can only refuse a store,
never let a stale one in. An invalidation's token starts with its time, which
tells a loader whether a lagging read replica may still have the old row.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from redis.cluster import RedisCluster
from redis.commands.core import Script

from ..breaker import CircuitBreaker
from ..errors import L2Unavailable, is_unavailable
from ..keys import data_version_key, fence_key, generations_key, lease_key

logger = logging.getLogger(__name__)

# Store `value` only if the key's fence still holds the token read before the
# load. Invalidations replace the token, so a value loaded before an
# invalidation (stale) is refused even if it arrives after it. Then release the
# loader's lease, if it still owns it (one round trip for both).
SET_IF_FENCE = """
local stored = 0
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  stored = 1
end
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) == ARGV[4] then
  redis.call('DEL', KEYS[3])
end
return stored
"""

# Write-through: install data version ARGV[1], read after fence ARGV[6] was, unless
# an invalidation replaced the fence since (the value may predate it) or a newer
# version is there; then replace the fence (with the fresh token ARGV[5]) so a
# cache-aside load that started earlier cannot overwrite it. A data version that is
# not a number (not written by us) counts as none.
WRITE_THROUGH = """
if redis.call('GET', KEYS[2]) ~= ARGV[6] then return 0 end
local newest = tonumber(redis.call('GET', KEYS[3]) or '-1') or -1
if tonumber(ARGV[1]) < newest then return 0 end
redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[4])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4])
return 1
"""

# Take the loading lease of a key and read its fence in one round trip; a
# missing fence is created (token ARGV[4]) so the loader never holds "none". The
# fence is read before the loader reads the database, which is what
# SET_IF_FENCE needs to refuse a value that an invalidation overtook. With
# ARGV[3] = '1' (a miss), a value stored since the caller's GET is returned
# instead of a lease: a reader that saw the miss just before another loader
# stored must not load a second time.
ACQUIRE_LEASE = """
local fence = redis.call('GET', KEYS[2])
if not fence then
  fence = ARGV[4]
  redis.call('SET', KEYS[2], fence, 'PX', ARGV[5])
end
if ARGV[3] == '1' then
  local value = redis.call('GET', KEYS[3])
  if value then return {2, fence, value} end
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, fence, false} end
return {0, fence, false}
"""

# Release a lease only if we still own it: after our lease expired, another
# process may hold a new one, which must not be deleted.
RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Bump a generation to max(current + 1, ARGV[1]), ARGV[1] being the clock in
# microseconds: a generation only goes up, even when its key was lost (evicted,
# expired, overwritten with something that is not a number), so the entries of an
# old generation can never become reachable again.
BUMP_GENERATION = """
local raw = redis.pcall('GET', KEYS[1])
local current = 0
if type(raw) == 'string' then current = tonumber(raw) or 0 end
local generation = math.max(current + 1, tonumber(ARGV[1]))
redis.call('SET', KEYS[1], string.format('%.0f', generation), 'PX', ARGV[2])
return string.format('%.0f', generation)
"""


# Read a generation; when it is missing (evicted, expired) or not a number, start a
# new one from the clock (ARGV[1], microseconds). Never 0 again: after a lost key,
# readers must not fall back to a generation whose entries may still be stored.
READ_GENERATION = """
local raw = redis.pcall('GET', KEYS[1])
local current = nil
if type(raw) == 'string' then current = tonumber(raw) end
if current then return string.format('%.0f', current) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
"""


# Store a generational entry built under generations ARGV[1] ("g1,g2,..."), unless the
# entry there was built under a newer generation of any of its namespaces (a reader
# that started after a bump stored first); then release the loader's lease.
STORE_VERSIONED = """
local stored = 0
local mine = {}
for g in string.gmatch(ARGV[1], '[^,]+') do table.insert(mine, tonumber(g)) end
local older = false
local theirs = redis.call('GET', KEYS[2])
if theirs then
  local i = 1
  for g in string.gmatch(theirs, '[^,]+') do
    if mine[i] and tonumber(g) and tonumber(g) > mine[i] then older = true end
    i = i + 1
  end
end
if not older then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
  stored = 1
end
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) == ARGV[4] then
  redis.call('DEL', KEYS[3])
end
return stored
"""


def new_fence_token() -> str:
    """A fence value never used before, for a key whose fence is missing: a store compares with it."""
    return uuid.uuid4().hex


def invalidation_fence_token() -> str:
    """A fence value never used before that also says when it was set (µs, in hex): an
    invalidation's. A load soon after an invalidation reads the primary database, not a
    replica that may not have the change yet (`changed_at`)."""
    return f"{int(time.time() * 1_000_000):x}.{uuid.uuid4().hex}"


def changed_at(fence: bytes | None) -> float | None:
    """When the invalidation that set `fence` happened (seconds since the epoch), or None
    when no invalidation set it (a fence a reader created for a key not invalidated lately)."""
    if not fence or b"." not in fence:
        return None
    try:
        return int(fence.split(b".", 1)[0], 16) / 1_000_000
    except ValueError:
        return None  # not ours: treated as old, the store is fenced all the same


class RedisTier:
    """Wire-level L2 operations over one redis-py client."""

    def __init__(
        self,
        *,
        client_factory: Callable[[], Any],
        breaker: CircuitBreaker,
        fence_ttl_ms: int,
        on_error: Callable[[str], None] = lambda op: None,
    ):
        self._client_factory = client_factory
        self.breaker = breaker
        self.fence_ttl_ms = fence_ttl_ms
        self.on_error = on_error
        # Called before every command; raises L2Unavailable when L2 must not be used yet.
        self.guard: Callable[[], None] = lambda: None
        # Called after a command failed for want of the server (the layer marks that
        # invalidations may have been missed).
        self.on_unavailable: Callable[[], None] = lambda: None
        self._scripts: dict[str, Any] = {}

    @property
    def client(self):
        return self._client_factory()

    def script(self, source: str) -> Script:
        """A Lua script, kept once per tier (EVALSHA, loaded again on NOSCRIPT). It is bound
        to no client: each call passes the one `call` got, so building a client (which on
        Cluster connects) only ever happens inside `call`, behind the error model."""
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = Script(None, source.encode())
        return script

    def call(self, op: str, fn: Callable[[Any], Any], *, guarded: bool = True) -> Any:
        """Run `fn(client)` behind the breaker (and the guard). An error of the server or
        the network becomes L2Unavailable; any other error is a bug and propagates."""
        if guarded:  # first: the guard's own commands take the breaker's half-open probe
            self.guard()
        if not self.breaker.allow():
            raise L2Unavailable(f"{op}: circuit open")
        try:
            result = fn(self.client)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            self.breaker.record_failure()
            self.on_error(op)
            self.on_unavailable()
            raise L2Unavailable(f"{op}: {exc}") from exc
        self.breaker.record_success()
        return result

    # Reads -----------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        return self.call("get", lambda c: c.get(key))

    def peek(self, key: str) -> tuple[bytes | None, bool]:
        """Value and whether a lease is held, read together: a waiter that saw "no value"
        and then, in a second read, "no lease" could miss a value stored in between."""
        value, lease = self.call("get", lambda c: c.mget(key, lease_key(key)))
        return value, lease is not None

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        """Many values in one round trip (on Cluster, one per node: the keys are in many slots)."""
        def run(client):
            if isinstance(client, RedisCluster):
                return client.mget_nonatomic(keys)
            return client.mget(keys)

        return self.call("get_many", run)

    def get_versioned(self, key: str) -> tuple[bytes | None, bytes | None]:
        """A generational entry and the generations it was built under, read together."""
        value, generations = self.call("get", lambda c: c.mget(key, generations_key(key)))
        return value, generations

    def store_versioned(self, key: str, value: bytes, *, ttl_ms: int, generations: str,
                        release_lease: str | None = None) -> bool:
        """Store a generational entry unless a newer one is there (STORE_VERSIONED)."""
        keys = [key, generations_key(key), lease_key(key)]
        args = [generations, value, ttl_ms, release_lease or ""]
        return bool(self.call("set", lambda c: self.script(STORE_VERSIONED)(keys=keys, args=args, client=c)))

    def fences(self, keys: list[str]) -> list[bytes]:
        """The fences of many keys, creating the missing ones (read before a load).
        A pipeline: the keys may live in different cluster slots."""
        token = new_fence_token()

        def run(client):
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.set(fence_key(key), token, nx=True, get=True, px=self.fence_ttl_ms)
            return pipe.execute()

        return [old if old is not None else token.encode() for old in self.call("fences", run)]

    # Writes ----------------------------------------------------------------

    def set(self, key: str, value: bytes, *, ttl_ms: int | None) -> None:
        self.call("set", lambda c: c.set(key, value, px=ttl_ms))

    def set_if_fence(self, key: str, value: bytes, *, ttl_ms: int, fence: bytes, release_lease: str | None = None
                     ) -> bool:
        """Store `value` unless `key` was invalidated since `fence` was read; release our lease."""
        script = self.script(SET_IF_FENCE)
        keys, args = [key, fence_key(key), lease_key(key)], [fence, value, ttl_ms, release_lease or ""]
        return bool(self.call("set", lambda c: script(keys=keys, args=args, client=c)))

    def set_many_if_fence(self, entries: list[tuple[str, bytes, int, bytes]]) -> int:
        """SET_IF_FENCE for many (key, value, ttl_ms, fence) entries; returns how many were stored."""
        script = self.script(SET_IF_FENCE)

        def run(client):
            # A cluster pipeline runs no script: there the stores go one by one.
            target = client if isinstance(client, RedisCluster) else client.pipeline(transaction=False)
            replies = [script(keys=[key, fence_key(key), lease_key(key)], args=[fence, value, ttl_ms, ""],
                              client=target) for key, value, ttl_ms, fence in entries]
            return sum(replies if target is client else target.execute())

        return self.call("set_many", run)

    def write_through(self, key: str, value: bytes, *, ttl_ms: int, data_version: int, fence: bytes) -> bool:
        """Install `value` as data version `data_version`, unless a newer version is cached or
        `key` was invalidated since `fence` was read (before `value` was)."""
        script = self.script(WRITE_THROUGH)
        keys = [key, fence_key(key), data_version_key(key)]
        args = [data_version, value, ttl_ms, max(self.fence_ttl_ms, ttl_ms), invalidation_fence_token(), fence]
        return bool(self.call("write_through", lambda c: script(keys=keys, args=args, client=c)))

    def invalidate(self, keys: Iterable[str], generation_keys: Iterable[str] = (), *, guarded: bool = True) -> None:
        """Drop `keys` (fenced) and bump `generation_keys`. `guarded=False` is for the
        replay of the outbox itself, which is what the guard waits for."""
        self.call("invalidate", lambda c: self._invalidate_with(c, list(keys), list(generation_keys)),
                  guarded=guarded)

    def _invalidate_with(self, client, keys: list[str], generation_keys: list[str]) -> None:
        # Replace the fence, then drop the value. No script needed (and a cluster
        # pipeline runs none): a store that runs after the SET is refused by
        # SET_IF_FENCE, one that ran before it is removed by the UNLINK. A token, not
        # a counter: whatever the key held before, the SET succeeds. The UNLINK goes
        # first: on a full server (OOM) it still frees the value when the SET fails.
        token = invalidation_fence_token()
        if keys:
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.unlink(key)
                pipe.set(fence_key(key), token, px=self.fence_ttl_ms)
            pipe.execute()
        for gen_key in generation_keys:
            self._bump_generation_with(client, gen_key)

    def generation(self, gen_key: str) -> int:
        """The current generation of `gen_key`, a new one from the clock when it is lost."""
        script = self.script(READ_GENERATION)
        now_us = int(time.time() * 1_000_000)
        return int(self.call("generation", lambda c: script(keys=[gen_key], args=[now_us, self.fence_ttl_ms],
                                                            client=c)))

    def bump_generation(self, gen_key: str) -> int:
        """Move a generation past its current value and the clock; returns the new one."""
        return self.call("generation", lambda c: self._bump_generation_with(c, gen_key))

    def _bump_generation_with(self, client, gen_key: str) -> int:
        script = self.script(BUMP_GENERATION)
        return int(script(keys=[gen_key], args=[int(time.time() * 1_000_000), self.fence_ttl_ms], client=client))

    def publish(self, channel: str, message: bytes, *, guarded: bool = True) -> None:
        self.call("publish", lambda c: c.publish(channel, message), guarded=guarded)

    # Leases (single flight across processes) --------------------------------

    def acquire_lease(self, key: str, token: str, *, ttl_ms: int, unless_stored: bool = False
                      ) -> tuple[bool, bytes, bytes | None]:
        """Take the loading lease of `key` (one process at a time loads it).

        Returns (leased, fence, value). With `unless_stored`, a value already in
        Redis is returned instead (and no lease is taken).
        """
        script = self.script(ACQUIRE_LEASE)
        keys = [lease_key(key), fence_key(key), key]
        args = [token, ttl_ms, "1" if unless_stored else "0", new_fence_token(), self.fence_ttl_ms]
        outcome, fence, value = self.call("lease", lambda c: script(keys=keys, args=args, client=c))
        fence = fence if isinstance(fence, bytes) else str(fence).encode()
        return outcome == 1, fence, value if outcome == 2 else None

    def release_lease(self, key: str, token: str) -> None:
        script = self.script(RELEASE_LEASE)
        self.call("lease", lambda c: script(keys=[lease_key(key)], args=[token], client=c))
