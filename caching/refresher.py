"""Background refreshes: a stale entry is served while one thread of this process rebuilds it.

A small pool of threads per process, with each key refreshed at most once at a
time here (and, through the key's lease, once across processes). When the pool
is busy the refresh is dropped: the entry stays stale a little longer, within
its bound, and the next read asks again.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)


class Refresher:
    def __init__(self, *, workers: int = 2, max_pending: int = 64):
        self.max_pending = max_pending
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cache-refresh")
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, key: str, refresh: Callable[[], None]) -> bool:
        """Refresh `key` in the background unless it already is, or too much is pending."""
        with self._lock:
            if key in self._pending or len(self._pending) >= self.max_pending:
                return False
            self._pending.add(key)
        self._pool.submit(self._run, key, refresh)
        return True

    def pending(self) -> int:
        return len(self._pending)

    def _run(self, key: str, refresh: Callable[[], None]) -> None:
        from django.db import close_old_connections, connection

        close_old_connections()  # this thread's connection is checked as a request's is
        try:
            refresh()
        except Exception:  # the entry stays stale; the next read tries again
            logger.warning("background refresh of %s failed", key, exc_info=True)
        finally:
            connection.close()
            with self._lock:
                self._pending.discard(key)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
