"""What carts declare to the cache layer: a write-through snapshot per owner, in L2 only."""
from __future__ import annotations

import hashlib

from caching import DataType, register

from .selectors import CartOwner

CART = register(DataType(
    name="cart",
    strategy="write_through",
    serializer="json",
    ttl=3600,
    jitter=0,
    levels=("l2",),  # private: never in a shared entry, and not kept in process memory
))


def cart_cache_id(owner: CartOwner) -> str:
    """A key of the owner's own: the user's id, or a hash of the session key (a credential,
    so never written into a key as it is)."""
    if owner.user_id is not None:
        return f"u-{owner.user_id}"
    return "s-" + hashlib.sha256(owner.session_key.encode()).hexdigest()[:40]
