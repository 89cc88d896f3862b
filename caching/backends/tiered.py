"""L1 over L2 as a Django cache backend. Every write goes Redis first, then this process's
L1, then the broadcast that every process applies (caching.invalidator). Reads promote L2
values into L1 for at most `L1_TIMEOUT` seconds, never past the value's remaining TTL in
Redis."""
from __future__ import annotations

from ..coherence import FLUSH, InvalidationBus, encode
from ..conf import settings
from ..errors import L2Unavailable
from ..tiers.local import LocalCache
from .redis import Level, RedisBackend, shared_level


class TieredBackend(RedisBackend):
    level_kind = "l1+l2"

    def __init__(self, location: str, params: dict):
        super().__init__(location, params)
        self.l1_timeout = float(self.options.get("L1_TIMEOUT", 5))
        self.l1, self.bus = self.level.l1, self.level.bus

    def _level(self) -> Level:
        options = self.options
        channel = options.get("CHANNEL", f"caching:backend:{self.location}")

        def build_l1(tier):
            l1 = LocalCache(max_entries=options.get("L1_MAX_ENTRIES", settings.L1_MAX_ENTRIES),
                            max_bytes=options.get("L1_MAX_BYTES", settings.L1_MAX_BYTES))
            bus = InvalidationBus(client_factory=lambda: tier.client, channel=channel, l1=l1,
                                  ping_interval=settings.LINK_PING_INTERVAL, silence=settings.LINK_SILENCE)
            return l1, bus

        level = shared_level(self.location, options, kind=self.level_kind, build_l1=build_l1)
        recovery = level.invalidator.recovery
        level.bus.on_link_lost = level.bus.on_recover = recovery.require
        return level

    def _read(self, key: str):
        self.bus.ensure_started()
        entry = self.l1.get(key)
        if entry is not None:
            return entry.value
        epoch = self.l1.epoch()
        try:
            blob, pttl = self.tier.call("get", lambda c: c.pipeline(transaction=False).get(key).pttl(key).execute())
        except L2Unavailable:
            return None
        if blob is not None:
            self._promote(key, blob, pttl, epoch)
        return blob

    def _read_many(self, keys: list[str]) -> list:
        self.bus.ensure_started()
        found = {}
        for key in keys:
            entry = self.l1.get(key)
            if entry is not None:
                found[key] = entry.value
        missing = [key for key in keys if key not in found]
        if missing:
            epoch = self.l1.epoch()

            def run(client):
                pipe = client.pipeline(transaction=False)
                for key in missing:
                    pipe.get(key)
                    pipe.pttl(key)
                return pipe.execute()

            try:
                replies = self.tier.call("get_many", run)
            except L2Unavailable:
                replies = [None, -2] * len(missing)
            for key, blob, pttl in zip(missing, replies[::2], replies[1::2], strict=True):
                if blob is not None:
                    found[key] = blob
                    self._promote(key, blob, pttl, epoch)
        return [found.get(key) for key in keys]

    def _promote(self, key: str, blob: bytes, pttl: int, epoch: int) -> None:
        ttl = self.l1_timeout if pttl < 0 else min(self.l1_timeout, pttl / 1000)
        self.l1.set(key, blob, ttl=ttl, size=len(blob), read_epoch=epoch)

    def clear(self):
        super().clear()
        self.l1.clear()
        try:
            self.tier.publish(self.bus.channel, encode(FLUSH))
        except L2Unavailable:
            pass
        return True
