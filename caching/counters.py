"""Fixed-window counters in Redis, for rate limits; an in-process copy answers when Redis cannot.

A limit must hold across processes, so counts live in Redis. When Redis is down
the counts fall back to this process's memory: a limit then holds per process
(a little looser), and nobody is locked out because Redis is.
"""
from __future__ import annotations

import threading
import time

from .conf import settings
from .tiers.redis import L2Unavailable

# INCRBY with a window: the first hit of a window sets its expiry. A value that
# is not an integer (written by someone else) starts the window over instead of
# failing.
HIT = """
local count = redis.pcall('INCRBY', KEYS[1], ARGV[1])
if type(count) == 'table' then
  count = tonumber(ARGV[1])
  redis.call('SET', KEYS[1], count, 'PX', ARGV[2])
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
return {count, left}
"""


class LocalWindows:
    """The in-process fallback: key -> [count, window end], bounded in size."""

    clock = staticmethod(time.monotonic)

    def __init__(self, max_keys: int = 10_000):
        self.max_keys = max_keys
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, window: float, amount: int) -> tuple[int, float]:
        now = self.clock()
        with self._lock:
            entry = self._windows.get(key)
            if entry is None or entry[1] <= now:
                if len(self._windows) >= self.max_keys:
                    self._trim(now)
                entry = self._windows[key] = [0, now + window]
            entry[0] += amount
            return int(entry[0]), entry[1] - now

    def reset(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def _trim(self, now: float) -> None:
        for key in [key for key, (_, end) in self._windows.items() if end <= now]:
            del self._windows[key]
        while len(self._windows) >= self.max_keys:
            del self._windows[next(iter(self._windows))]


class WindowCounter:
    """`hit(name, window=...)` counts one event in the current window of `name` and says
    how many there were and how many seconds the window has left."""

    def __init__(self, namespace: str):
        self.namespace = namespace
        self.local = LocalWindows()

    def key(self, name: str) -> str:
        return f"{settings.KEY_PREFIX}:{self.namespace}:{{{name}}}"

    def hit(self, name: str, *, window: float, amount: int = 1) -> tuple[int, float]:
        from .handler import get_layer

        tier = get_layer().tier
        key = self.key(name)
        window_ms = max(1, int(window * 1000))
        try:
            script = tier.script(HIT)
            count, left_ms = tier.call("counter", lambda c: script(keys=[key], args=[amount, window_ms], client=c))
        except L2Unavailable:
            return self.local.hit(key, window=window, amount=amount)
        return int(count), int(left_ms) / 1000

    def reset(self, name: str) -> None:
        from .handler import get_layer

        key = self.key(name)
        self.local.reset(key)
        try:
            get_layer().tier.call("counter", lambda c: c.unlink(key))
        except L2Unavailable:
            pass
