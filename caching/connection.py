"""Builds the layer from settings: the Redis client (django-redis or RedisCluster) and its parts."""
from __future__ import annotations

import threading

from .breaker import CircuitBreaker
from .coherence import InvalidationBus
from .conf import settings
from .datatypes import registry
from .layer import CacheLayer
from .metrics import count_error
from .tiers.local import LocalCache
from .tiers.redis import RedisTier

_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


def redis_client():
    """The redis-py client L2 uses: django-redis's pool (hiredis parser) or, when
    REDIS_CLUSTER_URL is set, redis-py's RedisCluster (django-redis does not speak Cluster)."""
    source = settings.REDIS_CLUSTER_URL or f"alias:{settings.REDIS_ALIAS}"
    client = _clients.get(source)
    if client is None:
        with _clients_lock:
            client = _clients.get(source)
            if client is None:
                if settings.REDIS_CLUSTER_URL:
                    from redis.cluster import RedisCluster

                    client = RedisCluster.from_url(
                        settings.REDIS_CLUSTER_URL, socket_timeout=0.25, socket_connect_timeout=0.25
                    )
                else:
                    from django_redis import get_redis_connection

                    client = get_redis_connection(settings.REDIS_ALIAS)
                _clients[source] = client
    return client


def build_layer() -> CacheLayer:
    from .outbox import Outbox

    l1 = LocalCache(max_entries=settings.L1_MAX_ENTRIES, max_bytes=settings.L1_MAX_BYTES)
    tier = RedisTier(
        client_factory=redis_client,
        breaker=CircuitBreaker(failures=settings.BREAKER_FAILURES, reset_seconds=settings.BREAKER_RESET_SECONDS),
        fence_ttl_ms=int(settings.FENCE_TTL * 1000),
        on_error=count_error,
    )
    bus = InvalidationBus(client_factory=redis_client, channel=settings.INVALIDATION_CHANNEL, l1=l1)
    return CacheLayer(l1=l1, tier=tier, bus=bus, registry=registry, outbox=Outbox(),
                      channel=settings.INVALIDATION_CHANNEL)
