"""A circuit breaker in front of Redis: stop calling a server that keeps failing."""
from __future__ import annotations

import threading
import time

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    """Closed: calls go through and consecutive failures are counted. After
    `failures` of them it opens: calls are refused at once (the cache layer
    serves from the database) for `reset_seconds`. Then one call is let through
    as a probe (half-open): success closes the breaker, failure opens it again.
    """

    clock = staticmethod(time.monotonic)

    def __init__(self, *, failures: int, reset_seconds: float):
        self.failure_threshold = failures
        self.reset_seconds = reset_seconds
        self.state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """May a call go to Redis now? In half-open, only one probe at a time."""
        if self.state == CLOSED:
            return True
        with self._lock:
            if self.state == OPEN and self.clock() - self._opened_at >= self.reset_seconds:
                self.state = HALF_OPEN
                self._probing = False
            if self.state == HALF_OPEN and not self._probing:
                self._probing = True
                return True
            return False

    def after_fork(self) -> None:
        """In a forked child: a new lock, closed (the child probes Redis for itself)."""
        self._lock = threading.Lock()
        self.state = CLOSED
        self._failures = 0
        self._probing = False

    def record_success(self) -> None:
        if self.state == CLOSED and self._failures == 0:
            return
        with self._lock:
            self.state = CLOSED
            self._failures = 0
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self.state == HALF_OPEN or self._failures >= self.failure_threshold:
                self.state = OPEN
                self._opened_at = self.clock()
                self._probing = False
