"""Generational cache-aside: the namespace's generation is part of every key.

One bump of the generation makes every entry of the namespace unreachable at
once (O(1), no SCAN, no DEL); the old entries expire by their TTL. A reader
that loaded under the old generation stores under the old generation, where
nobody looks any more: this strategy cannot install a stale value.

Generations only go up (a bump is max(current + 1, the clock in microseconds);
a lost or foreign one is replaced by the clock, never by 0), live in Redis with
a TTL far longer than any entry's, and are kept in L1 like any value, dropped
there by the broadcast of their bump.
"""
from __future__ import annotations

from .. import keys
from ..conf import settings
from .cache_aside import CacheAside


class Generational(CacheAside):
    def key_for(self, data_type, item_id) -> str:
        return data_type.key(item_id, generation=self.generation(data_type.namespace_of(item_id)))

    def generation(self, namespace: str) -> int:
        """The namespace's current generation: L1 (kept coherent by the broadcast), else Redis."""
        gen_key = keys.generation_key(settings.KEY_PREFIX, namespace)
        entry = self.l1.get(gen_key)
        if entry is not None:
            return entry.value
        epoch = self.l1.epoch()
        generation = self.tier.generation(gen_key)
        self.l1.set(gen_key, generation, ttl=settings.L1_TTL, size=16, read_epoch=epoch)
        return generation

    def invalidation(self, data_type, item_ids) -> tuple[list[str], list[str]]:
        # Never key by key: the namespaces of the ids are bumped.
        namespaces = [data_type.namespace_of(item_id) for item_id in item_ids] if callable(data_type.namespace) \
            else [data_type.namespace]
        return [], [*data_type.bumps, *namespaces]

    def warmable(self, data_type) -> bool:
        return False
