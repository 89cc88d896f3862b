"""Cache keys: `<prefix>:<data type>:v<schema>:{<id>}`, never built from raw user text.

The id sits in a Redis Cluster hash tag (`{...}`), so a value and its
companions (`:fence`, `:lease`, `:dv`) share one hash slot and a Lua script
or MULTI over them runs on Cluster too.
"""
from __future__ import annotations

import hashlib
import json
import re

import orjson

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def normalise_id(raw: object) -> str:
    """An int or a short slug-like string stays readable; anything else is hashed."""
    if isinstance(raw, bool):
        raise TypeError("a bool is not a cache id")
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, str) and _SAFE_ID.match(raw):
        return raw
    return hash_params(raw)


def hash_params(params: object) -> str:
    """sha256 of a canonical JSON form: dicts are key-sorted, so parameter order does not matter."""
    try:
        canonical = orjson.dumps(params, option=orjson.OPT_SORT_KEYS, default=str)
    except orjson.JSONEncodeError:
        # orjson refuses integers beyond 64 bits; the standard library takes them.
        canonical = json.dumps(params, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()


def entry_key(prefix: str, data_type: str, schema: int, item_id: str) -> str:
    return f"{prefix}:{data_type}:v{schema}:{{{item_id}}}"


def generation_key(prefix: str, namespace: str) -> str:
    return f"{prefix}:gen:{{{namespace}}}"


def fence_key(key: str) -> str:
    """Counter bumped by every invalidation of `key` (see tiers.redis.RedisTier.set_if_fence)."""
    return f"{key}:fence"


def generations_key(key: str) -> str:
    """The generations a generational entry `key` was built under (see strategies.generational)."""
    return f"{key}:gens"


def lease_key(key: str) -> str:
    """The single-flight lease of `key`: held by the one process loading it."""
    return f"{key}:lease"


def data_version_key(key: str) -> str:
    """The newest data version written through to `key` (write-through types)."""
    return f"{key}:dv"
