"""Hot keys: which entries are read most, found by sampling at a bounded cost, and kept hot.

Counting. One look-up in HOT_KEY_SAMPLE_EVERY is sampled (a per-process counter, no
random draw: the unsampled path is an increment and a test). A sampled key is added to
a dict in the process, which holds at most MAX_TRACKED keys (the least counted are
dropped: a hot key is seen again within a second); at most once a second the process
adds its counts to a sorted set per data type in the layer's Redis, each weighted
2^(age / HOT_KEY_HALF_LIFE) where age is the time since the start of a 30-half-life
window: the set then ranks keys by a count that halves every half-life, without ever
being rewritten (Cormode et al.'s forward decay). The previous window's set, scaled by
2^-30, joins the current one when reading, so nothing is lost at a window's start;
a set lives two windows. Cost on Redis: one ZINCRBY per distinct sampled key per second
per process.

Mitigation. Every few seconds each process reads the HOT_KEY_PINNED hottest keys of each
data type: L1 keeps those entries when it must evict (they are pinned), and a sampled
read of one whose entry is near the end of its freshness refreshes it in the background
(cache-aside types), so a hot key is neither evicted nor ever missed.
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time
from typing import Any

from redis.exceptions import ResponseError

from .conf import settings
from .errors import L2Unavailable

logger = logging.getLogger(__name__)

WINDOW_HALF_LIVES = 30  # a set's window; 2^30 keeps scores well inside a double's precision
MAX_TRACKED = 2_000  # keys counted per process between two sends
KEEP = 1_000  # keys kept per data type in Redis
PIN_REFRESH_SECONDS = 5.0


def _window(now: float) -> tuple[int, float]:
    """The current window's number and start."""
    length = settings.HOT_KEY_HALF_LIFE * WINDOW_HALF_LIVES
    number = int(now // length)
    return number, number * length


def hot_key(data_type: str, window: int | str) -> str:
    # One hash tag per data type: the two windows' sets are in one Cluster slot (HOTTEST).
    return f"{settings.KEY_PREFIX}:hot:{{{data_type}}}:{window}"


# The ARGV[2] hottest members of the current window's set (KEYS[1]) and the previous one's
# (KEYS[2], weighted ARGV[1]), summed in a scratch set (KEYS[3]) that does not outlive the
# script: every process reads its pins every few seconds, and this returns the few it
# pins, not the up to 2 × KEEP members stored.
HOTTEST = """
redis.call('ZUNIONSTORE', KEYS[3], 2, KEYS[1], KEYS[2], 'WEIGHTS', 1, ARGV[1])
local top = redis.call('ZREVRANGE', KEYS[3], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
redis.call('DEL', KEYS[3])
return top
"""


class HotKeySampler:
    """This process's sampled counts, sent to Redis at most once an interval."""

    clock = staticmethod(time.time)
    send_interval = 1.0

    def __init__(self) -> None:
        self.forget(configured=False)

    def forget(self, *, configured: bool = True) -> None:
        """Nothing counted, nothing pinned, a new lock (also what a forked child starts with).
        The sampling rate is read from the settings (the layer calls this when it is built)."""
        every = settings.HOT_KEY_SAMPLE_EVERY if configured else 0
        # A power of two, so that sampling is a mask test.
        self.mask = (1 << max(int(every) - 1, 0).bit_length()) - 1 if every else -1
        self.ticks = 0
        self.lock = threading.Lock()
        self.counts: dict[str, dict[str, int]] = {}
        self.tracked = 0
        self.last_sent = self.clock()
        self.pinned: frozenset[str] = frozenset()
        self.pinned_at = 0.0

    def tick(self) -> bool:
        """Is this look-up sampled? (Not thread-exact: a lost increment only shifts a sample.)"""
        if self.mask < 0:
            return False
        self.ticks += 1
        return not self.ticks & self.mask

    def record(self, data_type: str, key: str) -> None:
        now = self.clock()
        with self.lock:
            members = self.counts.setdefault(data_type, {})
            if key not in members:
                if self.tracked >= MAX_TRACKED:
                    self._drop_least_counted()
                self.tracked += 1
            members[key] = members.get(key, 0) + 1
            if now - self.last_sent < self.send_interval:
                return
            counts, self.counts, self.tracked, self.last_sent = self.counts, {}, 0, now
        self.send(counts, now)
        if now - self.pinned_at >= PIN_REFRESH_SECONDS:
            self.pinned_at = now
            self.refresh_pinned()

    def _drop_least_counted(self) -> None:
        entries = sorted(((n, data_type, key) for data_type, members in self.counts.items()
                          for key, n in members.items()))
        for _, data_type, key in entries[: len(entries) // 2]:
            del self.counts[data_type][key]
        self.tracked = sum(len(members) for members in self.counts.values())

    def send(self, counts: dict[str, dict[str, int]], now: float) -> None:
        from .handler import get_layer

        window, start = _window(now)
        weight = 2.0 ** ((now - start) / settings.HOT_KEY_HALF_LIFE)
        lifetime = int(2 * settings.HOT_KEY_HALF_LIFE * WINDOW_HALF_LIVES) + 60

        def run(client):
            pipe = client.pipeline(transaction=False)
            for data_type, members in counts.items():
                key = hot_key(data_type, window)
                for member, n in members.items():
                    pipe.zincrby(key, n * weight, member)
                pipe.expire(key, lifetime)
                pipe.zremrangebyrank(key, 0, -KEEP - 1)
            pipe.execute(raise_on_error=False)  # a foreign value under one key spoils only it

        try:
            get_layer().tier.call("hotkeys", run)
        except L2Unavailable:
            pass  # a second of samples lost

    def refresh_pinned(self) -> None:
        """Pin the hottest keys of every data type seen (read from Redis)."""
        from .datatypes import registry

        pinned: set[str] = set()
        for data_type in registry.all():
            pinned.update(row["key"] for row in hottest(data_type.name, settings.HOT_KEY_PINNED))
        self.pinned = frozenset(pinned)

    def is_pinned(self, key: str) -> bool:
        return key in self.pinned


def hottest(data_type: str, limit: int, *, now: float | None = None) -> list[dict[str, Any]]:
    """The `limit` hottest keys of a data type: key, id, and the estimated reads a second
    (decayed count × sampling ÷ the decay's mean life)."""
    from .handler import get_layer

    if limit <= 0:
        return []
    now = time.time() if now is None else now
    window, start = _window(now)
    tier = get_layer().tier
    keys = [hot_key(data_type, window), hot_key(data_type, window - 1), hot_key(data_type, "union")]
    args = [repr(2.0 ** -WINDOW_HALF_LIVES), limit]
    try:
        flat = tier.call("hotkeys", lambda c: tier.script(HOTTEST)(keys=keys, args=args, client=c))
    except L2Unavailable:
        return []
    except ResponseError as exc:  # WRONGTYPE: not our value under that key
        logger.warning("hot keys of %s unreadable: %s", data_type, exc)
        return []
    now_weight = 2.0 ** ((now - start) / settings.HOT_KEY_HALF_LIFE)
    every = (sampler.mask + 1) if sampler.mask >= 0 else 1
    mean_life = settings.HOT_KEY_HALF_LIFE / math.log(2)
    result = []
    for member, score in zip(flat[::2], map(float, flat[1::2]), strict=True):
        key = member.decode() if isinstance(member, bytes) else member
        result.append({"key": key, "id": key.rsplit(":", 1)[-1].strip("{}"),
                       "reads_per_second": round(score / now_weight * every / mean_life, 3)})
    return result


def top_hot_keys(limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    """The hottest keys of every registered data type that has any."""
    from .datatypes import registry

    report = {}
    for data_type in registry.all():
        rows = hottest(data_type.name, limit)
        if rows:
            report[data_type.name] = rows
    return report


sampler = HotKeySampler()


def _forget_after_fork() -> None:
    sampler.forget()


os.register_at_fork(after_in_child=_forget_after_fork)
