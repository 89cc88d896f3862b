"""Generational cache-aside: the namespace's generation is part of every key.

One INCR of the generation makes every entry of the namespace unreachable at
once (O(1), no SCAN, no DEL); the old entries expire by their TTL. A reader
that loaded under the old generation stores under the old generation, where
nobody looks any more: this strategy cannot install a stale value.
"""
from .cache_aside import CacheAside


class Generational(CacheAside):
    def key_for(self, data_type, item_id) -> str:
        return data_type.key(item_id, generation=self.layer.generation(data_type.namespace_of(item_id)))

    def keys_to_invalidate(self, data_type, item_ids) -> list[str]:
        return []  # invalidated by bumping the namespace, never key by key
