"""What an operator does to the cache: drop one entry or a whole data type, warm a data type.

Views (the staff API, the admin's dashboard) and Celery tasks call these; a data type is
named by its registered name and its warming is what its owner declared (`warmer`).
"""
from __future__ import annotations

import logging
from typing import Any

from .conf import settings
from .datatypes import registry
from .errors import L2Unavailable
from .handler import get_layer

logger = logging.getLogger(__name__)

SCAN_BATCH = 500


def cache_invalidate_entry(*, data_type: str, item_id: Any) -> str:
    """Drop one entry everywhere (Redis, every process's L1), fenced, now (an operator's
    request changes no data, so it waits for no commit), and purge its CDN paths; returns
    its key."""
    import caching

    kind = registry.get(data_type)
    caching.invalidate_now(kind, item_id)
    return kind.key(item_id)


def cache_invalidate_type(*, data_type: str) -> int:
    """Drop every entry of a data type: the keys are found with SCAN (no KEYS: the server keeps
    serving) and dropped in batches through the invalidation primitive (fenced, L1 and peers
    included). For an operator's rare use: each dropped key leaves its fence for FENCE_TTL.
    Returns how many entries were dropped."""
    kind = registry.get(data_type)
    layer = get_layer()
    pattern = f"{settings.KEY_PREFIX}:{kind.name}:v{kind.schema_version}:*"
    dropped, batch = 0, []

    def flush() -> None:
        nonlocal dropped, batch
        if batch:
            layer.apply_invalidation(batch, [])
            dropped += len(batch)
            batch = []

    try:
        keys = layer.tier.call("scan", lambda c: list(c.scan_iter(match=pattern, count=1000)))
    except L2Unavailable as exc:
        raise CacheUnavailable(str(exc)) from exc
    for raw in keys:
        key = raw.decode() if isinstance(raw, bytes) else raw
        if key.endswith((":fence", ":lease")):
            continue
        batch.append(key)
        if len(batch) >= SCAN_BATCH:
            flush()
    flush()
    # Generational types also depend on their namespaces: a fixed one is bumped too.
    if kind.strategy == "generational" and isinstance(kind.namespace, str):
        layer.apply_invalidation([], [_generation_key(kind.namespace)])
    logger.info("cache: %d entries of %s dropped", dropped, kind.name, extra={"data_type": kind.name})
    return dropped


def _generation_key(namespace: str) -> str:
    from .keys import generation_key

    return generation_key(settings.KEY_PREFIX, namespace)


def cache_warm_type(*, data_type: str) -> Any:
    """Run the data type's declared warming (its owner's `warmer`)."""
    kind = registry.get(data_type)
    if kind.warmer is None:
        raise NotWarmable(kind.name)
    return kind.warmer()


def warmable_types() -> list[str]:
    return sorted(kind.name for kind in registry.all() if kind.warmer is not None)


class NotWarmable(LookupError):
    """The data type declares no warming."""


class CacheUnavailable(RuntimeError):
    """Redis cannot be reached for an operation that needs it."""
