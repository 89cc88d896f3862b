"""L1 over L2 as a Django cache backend; every change is broadcast so other processes drop
their L1 copy (see caching.coherence). Reads promote L2 values into L1 for at most
`L1_TIMEOUT` seconds, never past the value's remaining TTL in Redis."""
from __future__ import annotations

import threading

from ..coherence import FLUSH_ALL, InvalidationBus, encode_keys
from ..tiers.local import LocalCache
from ..tiers.redis import L2Unavailable
from .redis import RedisBackend

_buses: dict[str, InvalidationBus] = {}
_buses_lock = threading.Lock()


class TieredBackend(RedisBackend):
    def __init__(self, location: str, params: dict):
        super().__init__(location, params)
        self.l1_timeout = float(self.options.get("L1_TIMEOUT", 5))
        self.channel = self.options.get("CHANNEL", f"caching:backend:{location}")
        with _buses_lock:
            bus = _buses.get(location)
            if bus is None:
                l1 = LocalCache(max_entries=self.options.get("L1_MAX_ENTRIES", 10_000),
                                max_bytes=self.options.get("L1_MAX_BYTES", 64 * 1024 * 1024))
                bus = _buses[location] = InvalidationBus(
                    client_factory=lambda: self.tier.client, channel=self.channel, l1=l1)
        self.bus = bus
        self.l1 = bus.l1

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

    def _changed(self, keys: list[str]) -> None:
        self.l1.invalidate(keys)
        try:
            self.tier.call("publish", lambda c: c.publish(self.channel, encode_keys(self.bus.sender_id, keys)))
        except L2Unavailable:
            pass  # peers cannot hear us, nor Redis: their links are down and their L1 is off

    def clear(self):
        super().clear()
        self.l1.clear()
        try:
            self.tier.call("publish", lambda c: c.publish(self.channel, encode_keys(self.bus.sender_id, [FLUSH_ALL])))
        except L2Unavailable:
            pass
        return True
