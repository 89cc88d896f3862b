"""Single flight inside one process: concurrent calls for one key share one execution."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class _Call:
    __slots__ = ("done", "result", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class SingleFlight:
    """`do(key, fn)`: the first caller runs `fn`; callers that arrive while it
    runs wait and get its result (or its exception) instead of running it again.

    This collapses a stampede of threads in one process into one call; across
    processes, the Redis lease in `strategies.cache_aside` does the same.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, _Call] = {}

    def do(self, key: str, fn: Callable[[], Any], *, timeout: float) -> Any:
        with self._lock:
            call = self._calls.get(key)
            leader = call is None
            if leader:
                call = self._calls[key] = _Call()
        if not leader:
            if not call.done.wait(timeout):
                return fn()  # the leader is stuck: do not wait forever, do the work
            if call.error is not None:
                raise call.error
            return call.result
        try:
            call.result = fn()
            return call.result
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                self._calls.pop(key, None)
            call.done.set()
