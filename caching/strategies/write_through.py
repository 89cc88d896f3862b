"""Write-through: every write stores the new value (after its transaction commits).

Reads are cache-aside. Writes carry the data's version (e.g. `Cart.version`);
Redis keeps the newest version and refuses an older one, so two writes that
reach Redis out of order leave the newer value, and a read that loaded before
a write cannot install its older copy (the write replaces the key's fence).
"""
from __future__ import annotations

from ..errors import L2Unavailable
from .cache_aside import CacheAside


class WriteThrough(CacheAside):
    def put(self, data_type, item_id, value, *, version: int) -> bool:
        """Store `value` as `version`: Redis first, then L1 and peers, like any invalidation.
        When Redis fails, the entry goes through the outbox: dropped, never left stale."""
        key = data_type.key(item_id)
        blob, _, ttl_ms = data_type.envelope(value)
        try:
            stored = self.tier.write_through(key, blob, ttl_ms=ttl_ms, data_version=version)
        except L2Unavailable:
            self.invalidator.apply([key])  # Redis refused: the outbox drops it later, L2 is not read till then
            return False
        self.invalidator.written([key])
        return stored
