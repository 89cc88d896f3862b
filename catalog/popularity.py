"""What shoppers request most, and whether the cache is warm, kept in Redis.

Popularity lives on the store Redis (never evicted, and not emptied when the cache is
flushed): one sorted set per kind of request (product details, listings, searches),
which warming reads after a flush. A request only adds one to a dict in its own
process; the process sends its counts in one pipeline at most once a
`POPULARITY_FLUSH_SECONDS`, so counting costs the hot path about a microsecond and
Redis one ZINCRBY per distinct member per second per process, whatever the traffic.
Beat halves every score and trims each set (popularity_decay), so what counts is
recent traffic.

The warm mark lives in the cache itself: a flush (or a deploy that bumps the key
prefix) removes it, and beat then warms (catalog.services.catalog_warm_if_cold).
"""
from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator

import orjson
from django.conf import settings
from django.core.cache import caches
from redis.exceptions import ResponseError

from caching.conf import settings as caching_settings
from caching.errors import L2Unavailable
from caching.handler import get_layer

PRODUCT, LISTING, SEARCH = "product", "listing", "search"
# The most requested members kept of each kind: the long tail beyond is trimmed.
# Products: as many as warming loads (catalog.services.WARM_PRODUCTS), about 30 MB on the
# store Redis.
KEEP = {PRODUCT: 300_000, LISTING: 10_000, SEARCH: 10_000}
# A flush also trims now and then (one in TRIM_EVERY), so that a set cannot grow far past
# KEEP between two decays (a million-product catalog's tail would fill the store Redis).
TRIM_EVERY = 100
# Scores under this after a decay are dropped: a single request seven halvings ago.
FORGOTTEN_BELOW = 0.01
# Members sent per pipeline: a bulk feed (a benchmark's history) never builds one huge reply.
PIPELINE_CHUNK = 10_000


def popularity_key(kind: str) -> str:
    return f"{caching_settings.KEY_PREFIX}:popular:{{{kind}}}"


def _store():
    return caches[settings.SESSION_CACHE_ALIAS].tier  # the store Redis


def listing_member(params: dict) -> bytes:
    """What identifies a listing or a search for counting: its normalised parameters without
    the page (warming loads the first pages)."""
    return orjson.dumps({name: value for name, value in params.items() if name != "page"},
                        option=orjson.OPT_SORT_KEYS)


# Counting ---------------------------------------------------------------------------------


def popularity_add(counts: dict[str, dict[bytes | str | int, float]]) -> None:
    """Add `counts` ({kind: {member: n}}) to the store's sorted sets: one ZINCRBY per member,
    in pipelines. Redis away: the counts are lost (nothing depends on them); a foreign value
    under a key (WRONGTYPE): that key is dropped and its counting starts over."""
    items = [(popularity_key(kind), member, n) for kind, members in counts.items() for member, n in members.items()]
    if not items:
        return
    trim = random.randrange(TRIM_EVERY) == 0
    keeps = {popularity_key(kind): KEEP[kind] for kind in counts}

    def run(client):
        for chunk in _chunks(items, PIPELINE_CHUNK):
            pipe = client.pipeline(transaction=False)
            for key, member, n in chunk:
                pipe.zincrby(key, n, member)
            _execute(client, pipe, [key for key, _, _ in chunk])
        if trim:
            pipe = client.pipeline(transaction=False)
            for key, keep in keeps.items():
                pipe.zremrangebyrank(key, 0, -keep - 1)
            _execute(client, pipe, list(keeps))

    try:
        _store().call("popularity", run)
    except L2Unavailable:
        pass


def _execute(client, pipe, keys: list[str]) -> list:
    """Run a pipeline whose n-th command touches keys[n]. A key that holds someone else's
    value (WRONGTYPE) is dropped here, inside the call: raised, the tier would take it for
    an unavailable server and count it against the store's circuit breaker (sessions too)."""
    results = pipe.execute(raise_on_error=False)
    foreign = set()
    for key, result in zip(keys, results, strict=True):
        if isinstance(result, ResponseError):
            if not _is_wrongtype(result):
                raise result
            foreign.add(key)
    if foreign:
        client.unlink(*foreign)
    return results


def _is_wrongtype(exc: Exception) -> bool:
    return isinstance(exc, ResponseError) and "WRONGTYPE" in str(exc)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class RequestCounts:
    """Counts of this process's requests, sent to Redis at most once an `interval`.

    The request that finds the last send older than `interval` takes the whole dict and
    sends it (so no thread is needed, and an idle process sends nothing). The lock only
    guards the dict swap: a gthread worker's threads count at once, and the send itself
    happens outside it.
    """

    send: Callable[[dict], None] = staticmethod(popularity_add)
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, interval: float | None = None):
        self.interval = _flush_seconds() if interval is None else interval
        self.forget()

    def forget(self) -> None:
        """Drop what is counted, with a new lock (see _forget_counts_after_fork)."""
        self.lock = threading.Lock()
        self.counts: dict[str, dict] = {}
        self.last_sent = self.clock()

    def add(self, kind: str, member: bytes | str | int) -> None:
        now = self.clock()
        with self.lock:
            members = self.counts.setdefault(kind, {})
            members[member] = members.get(member, 0) + 1
            if now - self.last_sent < self.interval:
                return
            counts, self.counts, self.last_sent = self.counts, {}, now
        self.send(counts)

    def flush(self) -> None:
        """Send what is counted now (a test, a process about to exit)."""
        with self.lock:
            counts, self.counts, self.last_sent = self.counts, {}, self.clock()
        self.send(counts)


def _flush_seconds() -> float:
    return float(getattr(settings, "POPULARITY_FLUSH_SECONDS", 1.0))


request_counts = RequestCounts()


def _forget_counts_after_fork() -> None:
    """A forked child (a gunicorn worker, a Celery process) starts with no counts: what the
    parent counted is the parent's to send, and would be counted twice. A new lock, too: a
    thread of the parent may have held this one when it forked."""
    request_counts.forget()


os.register_at_fork(after_in_child=_forget_counts_after_fork)


def record_product(product_id: int) -> None:
    """Count one request of a product's detail."""
    request_counts.add(PRODUCT, product_id)


def record_listing(params: dict) -> None:
    """Count one request of a listing (its parameters without the page)."""
    request_counts.add(LISTING, listing_member(params))


def record_search(params: dict) -> None:
    """Count one request of a search (its parameters without the page)."""
    request_counts.add(SEARCH, listing_member(params))


def flush_counts() -> None:
    """Send this process's counts now."""
    request_counts.flush()


# Decay -----------------------------------------------------------------------------------


def popularity_decay(factor: float = 0.5) -> dict[str, int]:
    """Multiply every score by `factor`, drop the forgotten ones and keep the KEEP most
    popular members of each kind; returns how many members each kind keeps."""
    kept = {}
    for kind, keep in KEEP.items():
        key = popularity_key(kind)

        def run(client, key=key, keep=keep):
            pipe = client.pipeline(transaction=False)
            # ZUNIONSTORE of the key onto itself: one command, done in Redis, however big the set.
            pipe.zunionstore(key, {key: factor})
            pipe.zremrangebyscore(key, "-inf", f"({FORGOTTEN_BELOW}")
            pipe.zremrangebyrank(key, 0, -keep - 1)
            pipe.zcard(key)
            results = _execute(client, pipe, [key] * 4)
            return 0 if isinstance(results[-1], ResponseError) else results[-1]

        try:
            kept[kind] = _store().call("popularity", run)
        except L2Unavailable:
            kept[kind] = 0
    return kept


# Reading ---------------------------------------------------------------------------------


def _top(kind: str, limit: int) -> list[bytes]:
    if limit <= 0:
        return []
    key = popularity_key(kind)

    def run(client):
        try:
            return client.zrevrange(key, 0, limit - 1)
        except ResponseError as exc:
            if not _is_wrongtype(exc):
                raise
            client.unlink(key)  # someone else's value: counting starts over
            return []

    try:
        return _store().call("popularity", run)
    except L2Unavailable:
        return []


def top_products(limit: int) -> list[int]:
    """The ids of the most requested products, most first."""
    ids = []
    for member in _top(PRODUCT, limit):
        try:
            ids.append(int(member))
        except ValueError:
            continue  # not ours
    return ids


def _top_params(kind: str, limit: int) -> list[dict]:
    found = []
    for member in _top(kind, limit):
        try:
            params = orjson.loads(member)
        except orjson.JSONDecodeError:
            continue  # not ours
        if isinstance(params, dict):
            found.append({**params, "page": 1})
    return found


def top_listings(limit: int) -> list[dict]:
    """The most requested listings, most first (their parameters, page 1)."""
    return _top_params(LISTING, limit)


def top_searches(limit: int) -> list[dict]:
    """The most requested searches, most first (their parameters, page 1)."""
    return _top_params(SEARCH, limit)


# The warm mark ---------------------------------------------------------------------------


class _WarmMark:
    def key(self) -> str:
        return f"{caching_settings.KEY_PREFIX}:warmed"

    def set(self) -> None:
        try:
            get_layer().tier.call("warm", lambda c: c.set(self.key(), b"1", ex=86_400))
        except L2Unavailable:
            pass

    def is_set(self) -> bool:
        try:
            return bool(get_layer().tier.call("warm", lambda c: c.exists(self.key())))
        except L2Unavailable:
            return True  # Redis away: nothing to warm now


warm_mark = _WarmMark()
