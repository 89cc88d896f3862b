"""Write-through: every write stores the new value (after its transaction commits).

Reads are cache-aside. Writes carry the data's version (e.g. `Cart.version`);
Redis keeps the newest version and refuses an older one, so two writes that
reach Redis out of order leave the newer value, and a read that loaded before
a write cannot install its older copy (the write bumps the key's fence).
"""
from __future__ import annotations

from ..tiers.redis import L2Unavailable
from .cache_aside import CacheAside


class WriteThrough(CacheAside):
    def put(self, data_type, item_id, value, *, version: int) -> bool:
        """Store `value` as `version`. When Redis fails, the entry is dropped, never left stale."""
        layer = self.layer
        key = data_type.key(item_id)
        blob, _, ttl_ms = data_type.envelope(value)
        layer.l1.invalidate([key])
        try:
            stored = layer.tier.write_through(key, blob, ttl_ms=ttl_ms, data_version=version)
        except L2Unavailable:
            layer.apply_invalidation([key], [])  # outbox: replayed before L2 is read again
            return False
        if data_type.uses_l1:
            layer.broadcast([key])
        return stored
