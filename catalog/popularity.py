"""What shoppers search for most, and whether the cache is warm, kept in Redis.

Popularity lives on the store Redis (never evicted, and not emptied when the cache is
flushed): it is what warming loads first after a flush. The warm mark lives in the
cache itself: a flush (or a deploy that bumps the key prefix) removes it, and beat
then warms (catalog.services.catalog_warm_if_cold).
"""
from __future__ import annotations

import random

import orjson
from django.conf import settings
from django.core.cache import caches
from redis.exceptions import ResponseError

from caching.conf import settings as caching_settings
from caching.errors import L2Unavailable
from caching.handler import get_layer

KEEP = 10_000  # the most requested searches kept; the long tail beyond is trimmed


def _key() -> str:
    return f"{caching_settings.KEY_PREFIX}:popular:{{search}}"


def _store():
    return caches[settings.SESSION_CACHE_ALIAS].tier  # the store Redis


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


def record_search(params: dict) -> None:
    """Count one request of this search (its first page: what warming would load), sampled."""
    if random.random() >= settings.POPULARITY_SAMPLE:
        return
    member = orjson.dumps({name: value for name, value in params.items() if name != "page"},
                          option=orjson.OPT_SORT_KEYS)

    def run(client):
        client.zincrby(_key(), 1, member)
        if random.random() < 0.01:
            client.zremrangebyrank(_key(), 0, -KEEP - 1)

    try:
        _store().call("popularity", run)
    except L2Unavailable:
        pass  # a count lost is a count lost: nothing depends on it
    except ResponseError:  # something else under our key (WRONGTYPE): counting starts over
        _forget_foreign_value()


def top_searches(limit: int) -> list[dict]:
    """The most requested searches, most first (their parameters, page 1)."""
    try:
        members = _store().call("popularity", lambda c: c.zrevrange(_key(), 0, limit - 1))
    except L2Unavailable:
        return []
    except ResponseError:
        _forget_foreign_value()
        return []
    searches = []
    for member in members:
        try:
            params = orjson.loads(member)
        except orjson.JSONDecodeError:
            continue  # not ours
        if isinstance(params, dict):
            searches.append({**params, "page": 1})
    return searches


def _forget_foreign_value() -> None:
    try:
        _store().call("popularity", lambda c: c.unlink(_key()))
    except L2Unavailable:
        pass
