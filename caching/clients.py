"""The one Redis client factory: every part of the cache layer (L2, the broadcast link, the
Django backends) gets its client here, standalone or Cluster, with the same policy."""
from __future__ import annotations

import threading
from typing import Any

_clients: dict[tuple, Any] = {}
_lock = threading.Lock()


def make_client(url: str, *, cluster: bool, timeout: float):
    """A new redis-py client for `url`: `timeout` seconds to connect and per reply, and no
    retries with backoff, so an outage costs one short timeout, not seconds. hiredis parses
    replies when it is installed."""
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.cluster import RedisCluster
    from redis.retry import Retry

    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": Retry(NoBackoff(), 0)}
    if cluster:
        return RedisCluster.from_url(url, **options)
    return Redis.from_url(url, **options)


def shared_client(url: str, *, cluster: bool, timeout: float):
    """This process's client for `url` (its connection pool is shared by every thread)."""
    key = (url, cluster, timeout)
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = make_client(url, cluster=cluster, timeout=timeout)
    return client


def forget_clients() -> None:
    """Drop every shared client (tests that point the layer elsewhere; a forked child)."""
    global _lock
    _lock = threading.Lock()
    _clients.clear()
