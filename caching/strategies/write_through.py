"""Write-through: every write stores the new value, read fresh after its transaction commits.

Reads are cache-aside. A write stores the value its `loader` reads once the
transaction has committed, fenced like a load: the key's fence is read first,
and the store is refused if an invalidation (say, of a product the cart shows)
replaced it since, since the value may have been read before that change.
Values carry their data version (`DataType.version_of`, e.g. `Cart.version`);
Redis keeps the newest and refuses an older one, so two writes that reach Redis
out of order leave the newer value.
"""
from __future__ import annotations

from ..errors import L2Unavailable
from ..tiers.redis import changed_at
from .base import load
from .cache_aside import CacheAside


class WriteThrough(CacheAside):
    def put(self, data_type, item_id, loader) -> bool:
        """Store what `loader()` reads now: Redis first, then L1 and peers, like any invalidation.
        When Redis fails, the entry goes through the outbox: dropped, never left stale."""
        key = data_type.key(item_id)
        try:
            fence = self.tier.fences([key])[0]  # before the read: an invalidation after it refuses the store
        except L2Unavailable:
            self.invalidator.apply([key])
            return False
        value = load(data_type, item_id, loader, changed_at=changed_at(fence))
        blob, _, ttl_ms = data_type.envelope(value)
        try:
            stored = self.tier.write_through(key, blob, ttl_ms=ttl_ms, data_version=data_type.version_of(value),
                                             fence=fence)
        except L2Unavailable:
            self.invalidator.apply([key])  # Redis refused: the outbox drops it later, L2 is not read till then
            return False
        if stored:
            self.invalidator.written([key])
        return stored
