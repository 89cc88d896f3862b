"""L1 as a Django cache backend: this process's memory, LRU-bounded by entries and bytes."""
from __future__ import annotations

import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from ..tiers.local import LocalCache
from . import values

_caches: dict[str, tuple[LocalCache, threading.Lock]] = {}
_caches_lock = threading.Lock()


def _shared(name: str, max_entries: int, max_bytes: int) -> tuple[LocalCache, threading.Lock]:
    """Django builds a backend per thread; L1 is per process, shared by name."""
    with _caches_lock:
        if name not in _caches:
            _caches[name] = (LocalCache(max_entries=max_entries, max_bytes=max_bytes), threading.Lock())
        return _caches[name]


class LocalBackend(BaseCache):
    def __init__(self, location: str, params: dict):
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self._cache, self._lock = _shared(
            location or "default", options.get("MAX_ENTRIES", 10_000), options.get("MAX_BYTES", 64 * 1024 * 1024)
        )

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
        with self._lock:
            if self._cache.get(key) is not None:
                return False
            self._store(key, value, timeout)
            return True

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version)
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return False
            self._store(key, values.loads(entry.value), timeout)
            return True

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version)
        with self._lock:
            existed = self._cache.get(key) is not None
            self._cache.invalidate([key])
            return existed

    def has_key(self, key, version=None):
        return self._cache.get(self.make_and_validate_key(key, version)) is not None

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version)
        with self._lock:
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
