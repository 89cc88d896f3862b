"""Keeping the search index in step: catch-ups after catalog changes, and the cache bump after them."""
from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import transaction

import caching

from .search_index import search_index

logger = logging.getLogger(__name__)

SEARCH_NAMESPACE = "search"  # every search: text, membership, order
SEARCH_PRICE_NAMESPACE = "search:price"  # searches ordered or filtered by price


def search_namespaces(params: dict) -> list[str]:
    if (params.get("ordering") or "").lstrip("-") == "price" or params.get("min_price") or params.get("max_price"):
        return [SEARCH_NAMESPACE, SEARCH_PRICE_NAMESPACE]
    return [SEARCH_NAMESPACE]


def _bump(kinds: set[str]) -> None:
    # Through the search data type, so that the CDN drops its searches too.
    caching.invalidate("search", SEARCH_PRICE_NAMESPACE if kinds == {"price"} else SEARCH_NAMESPACE)


def search_catch_up() -> int | None:
    """Apply the catalog's changes to the index; when any changed it, the searches whose results
    they can change turn stale (served within their bound while rebuilt from the index that
    now has the change): every search, or only those by price when only prices changed."""
    return search_index().catch_up(on_changed=_bump)


class _Poker:
    """A thread per process that catches up soon after a change, outside the request."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def poke(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="search-catch-up", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        from django.db import close_old_connections, connection

        while self._wake.wait(60):
            self._wake.clear()
            close_old_connections()
            try:
                search_catch_up()
            except Exception:  # beat catches up later
                logger.warning("search index catch-up failed", exc_info=True)
            finally:
                connection.close()


_poker = _Poker()


def catch_up_after_commit() -> None:
    """After this transaction commits, bring the index up to date (SEARCH_CATCH_UP: "thread",
    in the background; "sync", before returning, for tests; "off", beat alone)."""
    mode = settings.SEARCH_CATCH_UP
    if mode == "sync":
        transaction.on_commit(search_catch_up, robust=True)
    elif mode == "thread":
        transaction.on_commit(_poker.poke)
