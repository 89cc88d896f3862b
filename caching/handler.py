"""This process's cache layer: built from settings on first use, forgotten after a fork.

Kept apart from `layer.py` (as Django keeps CacheHandler apart from the backends),
so the layer never imports what builds it.
"""
from __future__ import annotations

import atexit
import threading

from . import clients
from .breaker import CircuitBreaker
from .coherence import InvalidationBus
from .conf import settings
from .datatypes import registry
from .hotkeys import sampler
from .invalidator import Invalidator
from .layer import CacheLayer
from .metrics import L1_EVICTIONS, count_error
from .outbox import Outbox
from .tiers.local import LocalCache
from .tiers.redis import RedisTier

_layer: CacheLayer | None = None
_layer_lock = threading.Lock()


def redis_client():
    """The client of L2 (CACHING REDIS_URL, standalone or Cluster), shared by the process."""
    return clients.shared_client(settings.REDIS_URL, cluster=settings.REDIS_CLUSTER,
                                 timeout=settings.REDIS_SOCKET_TIMEOUT)


def build_layer() -> CacheLayer:
    sampler.forget()  # its sampling rate comes from the settings this layer is built from
    l1 = LocalCache(max_entries=settings.L1_MAX_ENTRIES, max_bytes=settings.L1_MAX_BYTES)
    l1.on_evict = L1_EVICTIONS.inc
    l1.is_pinned = sampler.is_pinned
    tier = RedisTier(
        client_factory=redis_client,
        breaker=CircuitBreaker(failures=settings.BREAKER_FAILURES, reset_seconds=settings.BREAKER_RESET_SECONDS),
        fence_ttl_ms=int(settings.FENCE_TTL * 1000),
        on_error=count_error,
    )
    invalidator = Invalidator(tier=tier, l1=l1, channel=settings.INVALIDATION_CHANNEL, outbox=Outbox("layer"),
                              retry_seconds=settings.BREAKER_RESET_SECONDS)
    bus = InvalidationBus(client_factory=redis_client, channel=settings.INVALIDATION_CHANNEL, l1=l1,
                          ping_interval=settings.LINK_PING_INTERVAL, silence=settings.LINK_SILENCE)
    return CacheLayer(l1=l1, tier=tier, bus=bus, registry=registry, invalidator=invalidator)


def get_layer() -> CacheLayer:
    """This process's cache layer, built on first use from CACHING settings."""
    global _layer
    if _layer is None:
        with _layer_lock:
            if _layer is None:
                _layer = build_layer()
    return _layer


def current_layer() -> CacheLayer | None:
    """This process's layer if it was built, without building one (metrics, stats)."""
    return _layer


def reset_layer() -> None:
    """Stop and forget this process's layer and clients (tests, settings changes)."""
    global _layer
    with _layer_lock:
        if _layer is not None:
            _layer.bus.stop()
            _layer.refresher.shutdown()
        _layer = None
    clients.forget_clients()


def forget_after_fork() -> None:
    """In a forked child: the parent's layer (its listener thread, locks that another
    thread may have held at the fork, in-flight loads) is not this process's."""
    global _layer, _layer_lock
    _layer = None
    _layer_lock = threading.Lock()


@atexit.register
def _stop_listeners_at_exit() -> None:
    """Stop the listener threads before the interpreter freezes them: a daemon thread frozen
    inside a connection pool's lock would hang the pool's finalizer, and with it the exit."""
    from .backends.redis import stop_listeners

    if _layer is not None:
        _layer.bus.stop()
    stop_listeners()
