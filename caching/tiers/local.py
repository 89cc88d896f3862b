"""L1: a per-process LRU with TTL, bounded by entries and bytes, safe across threads."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, NamedTuple


class L1Entry(NamedTuple):
    value: Any
    expires_at: float  # after this the entry is gone
    soft_expires_at: float  # after this the entry is stale (L2 decides what to do)
    size: int


class LocalCache:
    """An LRU dict with per-entry expiry, bounded by entry count and total bytes.

    Sets are fenced against invalidations: a reader calls `epoch()` before it
    reads L2 or the database and passes that number to `set()`. If `key` (or
    the whole cache) was invalidated since, the set is dropped, so a value read
    before an invalidation can never be installed after it.
    """

    clock = staticmethod(time.monotonic)
    wall_clock = staticmethod(time.time)
    on_evict = staticmethod(lambda: None)  # counted by the layer (caching.metrics)
    is_pinned = staticmethod(lambda key: False)  # hot keys (caching.hotkeys) are evicted last

    def __init__(self, *, max_entries: int, max_bytes: int, max_tombstones: int = 10_000):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_tombstones = max_tombstones
        self._data: OrderedDict[str, L1Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._epoch = 0
        # key -> epoch of its last invalidation; sets started before it are dropped.
        self._tombstones: dict[str, int] = {}
        # Sets started before this epoch are dropped (after a flush, or when the
        # tombstones were trimmed).
        self._floor = 0
        self.enabled = True

    def epoch(self) -> int:
        return self._epoch

    def get(self, key: str) -> L1Entry | None:
        """The live entry of `key`, or None. A hit moves the key to the LRU's young end."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            if entry.expires_at <= self.clock():
                self._remove(key)
                return None
            self._data.move_to_end(key)
            return entry

    def set(self, key: str, value: Any, *, ttl: float, size: int, soft_ttl: float | None = None,
            read_epoch: int | None = None) -> bool:
        """Store `value` for `ttl` seconds unless `key` was invalidated after `read_epoch`."""
        if not self.enabled or ttl <= 0 or size > self.max_bytes:
            return False
        now = self.clock()
        with self._lock:
            if read_epoch is not None and (read_epoch < self._floor or self._tombstones.get(key, -1) > read_epoch):
                return False
            if key in self._data:
                self._remove(key)
            soft = now + (soft_ttl if soft_ttl is not None else ttl)
            self._data[key] = L1Entry(value, now + ttl, soft, size)
            self._bytes += size
            kept = 0
            while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
                oldest = next(iter(self._data))
                if kept < len(self._data) - 1 and oldest != key and self.is_pinned(oldest):
                    self._data.move_to_end(oldest)  # a hot key stays; the next oldest goes
                    kept += 1
                    continue
                self._remove(oldest)
                self.on_evict()
            return True

    def delete(self, key: str) -> None:
        self.invalidate([key])

    def invalidate(self, keys) -> None:
        """Drop `keys` and fence them against sets that started before now."""
        with self._lock:
            self._epoch += 1
            for key in keys:
                self._tombstones[key] = self._epoch
                if key in self._data:
                    self._remove(key)
            if len(self._tombstones) > self.max_tombstones:
                # Forget per-key fences: fence every read that started before now.
                self._tombstones.clear()
                self._floor = self._epoch

    def clear(self) -> None:
        """Drop everything and fence every read that started before now."""
        with self._lock:
            self._epoch += 1
            self._floor = self._epoch
            self._tombstones.clear()
            self._data.clear()
            self._bytes = 0

    def _remove(self, key: str) -> None:
        entry = self._data.pop(key)
        self._bytes -= entry.size

    def after_fork(self) -> None:
        """In a forked child: a new lock (another thread may have held the parent's), and
        nothing the parent held, which this process never heard invalidations for."""
        self._lock = threading.Lock()
        self.clear()

    def __len__(self) -> int:
        return len(self._data)

    @property
    def bytes_used(self) -> int:
        return self._bytes
