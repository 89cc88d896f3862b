"""The cache layer: knows no shop model, only what apps register with it.

    from caching import DataType, ModelRule, register, get_or_load, invalidate, bump, cached

Domain apps declare their data types in their own `cache.py`; see the README.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from . import forking  # noqa: F401  (registers the at-fork reset)
from .datatypes import DataType, ModelRule, registry
from .handler import get_layer as _layer
from .strategies.base import Result, Status

__all__ = [
    "DataType", "ModelRule", "Result", "Status", "bump", "cached", "fetch", "get_many", "get_or_load", "invalidate",
    "invalidate_now", "put", "register", "warm",
]


def register(data_type: DataType) -> DataType:
    """Declare a data type (its strategy, TTL, levels, loader and invalidation rules)."""
    return registry.register(data_type)


def fetch(data_type: str | DataType, item_id: Any, loader: Callable[[], Any] | None = None) -> Result:
    """Like `get_or_load`, but also says where the value came from (`Result.status`)."""
    return _layer().fetch(data_type, item_id, loader)


def get_or_load(data_type: str | DataType, item_id: Any, loader: Callable[[], Any] | None = None) -> Any:
    """The cached value of `item_id`, loaded with `loader()` (or the registered loader) on a miss."""
    return _layer().fetch(data_type, item_id, loader).value


def get_many(data_type: str | DataType, item_ids: list[Any],
             load_many: Callable[[list[Any]], dict[Any, Any]]) -> dict[Any, Any]:
    """{id: value} for many ids at once: L1, one L2 round trip, one `load_many(missing)`."""
    return _layer().get_many(data_type, item_ids, load_many)


def warm(data_type: str | DataType, item_ids: list[Any], load_many: Callable[[list[Any]], dict[Any, Any]]) -> int:
    """Load `item_ids` with one `load_many(ids) -> {id: value}` call and store them (fenced)."""
    return _layer().warm(data_type, item_ids, load_many)


def put(data_type: str | DataType, item_id: Any, loader: Callable[[], Any]) -> None:
    """Write-through: once the transaction commits, store what `loader()` reads then."""
    from django.db import transaction

    transaction.on_commit(lambda: _layer().put(data_type, item_id, loader), robust=True)


def invalidate(data_type: str | DataType, *item_ids: Any) -> None:
    """Drop `item_ids` of `data_type` everywhere once the transaction commits (at once outside one)."""
    from .invalidation import Changes, schedule

    changes = Changes()
    changes.add(registry.get(data_type), item_ids)
    schedule(changes)


def invalidate_now(data_type: str | DataType, *item_ids: Any) -> None:
    """Drop `item_ids` everywhere at once, whatever transaction is open, and purge their CDN
    paths: for changes that are not database rows (a config written to Redis, an operator's
    request), which no commit makes visible."""
    from .cdn import outbox as cdn_outbox
    from .invalidation import Changes, apply

    changes = Changes()
    changes.add(registry.get(data_type), item_ids)
    apply(changes)
    cdn_outbox.record_paths(changes.cdn_paths)


def bump(namespace: str) -> None:
    """Invalidate a whole generational namespace in O(1), once the transaction commits."""
    from .invalidation import Changes, schedule

    changes = Changes()
    changes.namespaces.add(namespace)
    schedule(changes)


def cached(data_type: str | DataType, *, key: Callable[..., Any]):
    """Cache a function's result as `data_type`, keyed by `key(*args, **kwargs)`.

        @cached("product", key=lambda product_id: product_id)
        def product_payload(product_id): ...
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return get_or_load(data_type, key(*args, **kwargs), lambda: fn(*args, **kwargs))

        return wrapper

    return decorate
