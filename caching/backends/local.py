"""L1 as a Django cache backend: this process's memory, LRU-bounded by entries and bytes."""
from __future__ import annotations

import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from ..conf import settings
from ..tiers.local import LocalCache
from . import values


class _Shared:
    """One L1 per LOCATION and process (Django builds a backend per thread), and the lock
    that makes its read-modify-write operations (add, incr, touch) atomic."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.cache = LocalCache(max_entries=max_entries, max_bytes=max_bytes)
        self.lock = threading.Lock()


_shared: dict[str, _Shared] = {}
_shared_lock = threading.Lock()


def after_fork() -> None:
    """In a forked child (caching.forking): new locks; the parent's values are dropped."""
    global _shared_lock
    _shared_lock = threading.Lock()
    for shared in _shared.values():
        shared.lock = threading.Lock()
        shared.cache.after_fork()


class LocalBackend(BaseCache):
    def __init__(self, location: str, params: dict):
        super().__init__(params)
        options = params.get("OPTIONS", {})
        name = location or "default"
        with _shared_lock:
            if name not in _shared:
                _shared[name] = _Shared(options.get("MAX_ENTRIES", settings.L1_MAX_ENTRIES),
                                        options.get("MAX_BYTES", settings.L1_MAX_BYTES))
            self._shared = _shared[name]
        self._cache = self._shared.cache

    def _ttl(self, timeout) -> float:
        """Seconds to keep a value: inf for None (forever), <= 0 means do not keep."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        return float("inf") if timeout is None else float(timeout)

    def _store(self, key: str, value, timeout) -> None:
        ttl = self._ttl(timeout)
        if ttl <= 0:
            self._cache.invalidate([key])
            return
        blob = values.dumps(value)
        self._cache.set(key, blob, ttl=ttl, size=len(blob))

    def get(self, key, default=None, version=None):
        entry = self._cache.get(self.make_and_validate_key(key, version))
        return default if entry is None else values.loads(entry.value)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._store(self.make_and_validate_key(key, version), value, timeout)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version)
        with self._shared.lock:
            if self._cache.get(key) is not None:
                return False
            self._store(key, value, timeout)
            return True

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version)
        with self._shared.lock:
            entry = self._cache.get(key)
            if entry is None:
                return False
            self._store(key, values.loads(entry.value), timeout)
            return True

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version)
        with self._shared.lock:
            existed = self._cache.get(key) is not None
            self._cache.invalidate([key])
            return existed

    def has_key(self, key, version=None):
        return self._cache.get(self.make_and_validate_key(key, version)) is not None

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version)
        with self._shared.lock:
            entry = self._cache.get(key)
            if entry is None:
                raise ValueError(f"Key '{key}' not found")
            new_value = values.loads(entry.value) + delta
            remaining = entry.expires_at - self._cache.clock()
            blob = values.dumps(new_value)
            self._cache.set(key, blob, ttl=remaining, size=len(blob))
            return new_value

    def clear(self):
        self._cache.clear()
