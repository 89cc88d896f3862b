"""Prefetch after a product view: its category's first listing page, in the background.

A shopper who opens a product often goes back to its category next. When
`CATALOG_PREFETCH` is on, a product view hands its body to one daemon thread per
process, which loads that category's first page (default order) into this process's
L1 and, when missing, into Redis; the response never waits for it. Off by default: measured
after a flush (bench/WARM_RESULTS.md), it added 2 points of hit ratio from a cold cache and
none after warming, which beat does within a minute of a flush.
"""
from __future__ import annotations

import os
import queue
import threading
import time

import orjson
from django.conf import settings
from django.db import close_old_connections

import caching

PREFETCH_DEFAULT = False


class CategoryPagePrefetcher:
    """One background thread per process, fed through a bounded queue: when shoppers come
    faster than it loads, views drop their hints rather than wait or pile them up. A category
    prefetched less than `recent_seconds` ago is skipped (its page is still in L1)."""

    queue_size = 256
    recent_seconds = 30.0

    def __init__(self, enabled: bool | None = None):
        self.enabled = bool(getattr(settings, "CATALOG_PREFETCH", PREFETCH_DEFAULT)) if enabled is None else enabled
        self.forget()

    def forget(self) -> None:
        """No thread, an empty queue and a new lock: what a forked child must start from (the
        parent's thread does not exist in it, and its lock may have been held at the fork)."""
        self.lock = threading.Lock()
        self.queue: queue.Queue[bytes] = queue.Queue(self.queue_size)
        self.thread: threading.Thread | None = None
        self.recent: dict[int, float] = {}

    def submit(self, product_body: bytes) -> None:
        if not self.enabled:
            return
        if self.thread is None:
            self._start()
        try:
            self.queue.put_nowait(product_body)
        except queue.Full:
            pass  # a hint, not a promise

    def _start(self) -> None:
        with self.lock:  # two threads of a gthread worker must not start two prefetchers
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="catalog-prefetch", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            body = self.queue.get()
            try:
                self.prefetch(body)
            except Exception:  # a prefetch that fails costs a miss later, nothing more
                pass
            finally:
                self.queue.task_done()

    def prefetch(self, product_body: bytes) -> bool:
        """Load the first page of this product's category; False when skipped."""
        from .listings import listing_params
        from .services import catalog_warm_page

        category = orjson.loads(product_body).get("category") or {}
        category_id, slug = category.get("id"), category.get("slug")
        if not category_id or not slug:
            return False
        now = time.monotonic()
        if now - self.recent.get(category_id, -self.recent_seconds) < self.recent_seconds:
            return False
        self.recent[category_id] = now
        if len(self.recent) > 10_000:
            self.recent.clear()
        close_old_connections()  # this thread's database connection follows CONN_MAX_AGE like a request's
        caching.get_or_load("category_slug", slug)
        catalog_warm_page(listing_params({"ordering": "", "page": 1}, category_id=category_id), search=False)
        return True


prefetcher = CategoryPagePrefetcher()
os.register_at_fork(after_in_child=prefetcher.forget)


def after_product_view(product_body: bytes) -> None:
    """Hint that this product was just viewed (nothing happens unless CATALOG_PREFETCH is on)."""
    prefetcher.submit(product_body)
