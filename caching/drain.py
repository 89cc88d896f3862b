"""Apply every pending invalidation (the layer's and the Django cache backends'), from any process.

Beat runs it every few seconds (task `caching.drain_outbox`), so an invalidation
that Redis could not take reaches Redis, and every process's L1 through the
broadcast, without waiting for the process that saw the failure.
"""
from __future__ import annotations

from django.conf import settings as django_settings
from django.core.cache import caches

from .handler import get_layer


def drain_outboxes() -> dict[str, int]:
    """How many pending invalidations were applied, per target ("layer", or a cache alias)."""
    from .backends.redis import RedisBackend

    applied = {"layer": get_layer().drain_outbox()}
    for alias in django_settings.CACHES:
        backend = caches[alias]
        if isinstance(backend, RedisBackend):
            applied[alias] = backend.drain_outbox()
    return applied
