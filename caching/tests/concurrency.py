"""Concurrency helpers for the tests: a stampede of threads, and waiting for a condition."""
from __future__ import annotations

import threading
import time
from typing import Any

import caching


def concurrent_misses(data_type: str, item_id: Any, *, clients: int, value: Any) -> tuple[list[Any], int]:
    """`clients` threads read one key at once through a slow loader.
    Returns what each thread got and how many times the loader ran."""
    loads: list[int] = []
    results: list[Any] = []
    start = threading.Barrier(clients)

    def slow_loader():
        loads.append(1)
        time.sleep(0.3)
        return value

    def miss():
        start.wait()
        results.append(caching.get_or_load(data_type, item_id, slow_loader))

    threads = [threading.Thread(target=miss) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, len(loads)


def wait_for(predicate, timeout: float = 10.0) -> bool:
    """Poll `predicate` until it holds (True) or `timeout` seconds pass (False): for state
    another process or thread reaches, never to stand in for an ordering."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
