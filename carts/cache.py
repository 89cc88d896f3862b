"""What carts declare to the cache layer: a write-through snapshot per owner, in L2 only.

A snapshot shows each line's current price, name and availability, so a change
of those on a product (or of its category's visibility) drops the snapshots of
the carts holding it. A stock change (a checkout) drops none.
"""
from __future__ import annotations

import hashlib

from caching import DataType, ModelRule, edge, register
from catalog.models import Category, Product

from .models import Cart
from .selectors import CartOwner

PRODUCT_FIELDS_SHOWN = ("price", "name", "sku", "is_active", "category_id")


def cart_cache_id(owner: CartOwner) -> str:
    """A key of the owner's own: the user's id, or a hash of the session key (a credential,
    so never written into a key as it is)."""
    if owner.user_id is not None:
        return f"u-{owner.user_id}"
    return "s-" + hashlib.sha256(owner.session_key.encode()).hexdigest()[:40]


def _cache_ids(carts) -> list[str]:
    return [cart_cache_id(CartOwner(user_id=user_id, session_key=session_key))
            for user_id, session_key in carts.values_list("user_id", "session_key")]


def _carts_showing_product(product: Product, previous: dict | None) -> list[str]:
    if previous is not None and all(previous.get(f) == getattr(product, f) for f in PRODUCT_FIELDS_SHOWN):
        return []  # e.g. a checkout's stock decrement: nothing a cart shows changed
    return _cache_ids(Cart.objects.filter(items__product_id=product.pk).distinct())


def _carts_showing_category(category: Category, previous: dict | None) -> list[str]:
    if previous is not None and previous.get("is_active") == category.is_active:
        return []
    return _cache_ids(Cart.objects.filter(items__product__category_id=category.pk).distinct())


CART = register(DataType(
    name="cart",
    strategy="write_through",
    serializer="json",
    ttl=3600,
    jitter=0,
    levels=("l2",),  # private: never in a shared entry, and not kept in process memory
    version_of=lambda snapshot: snapshot["version"],
    invalidated_by=(
        ModelRule(Product, ids=_carts_showing_product, track=PRODUCT_FIELDS_SHOWN),
        ModelRule(Category, ids=_carts_showing_category, track=("is_active",)),
    ),
))

edge.private("/api/v1/cart/", "/api/v1/cart/items/", "/api/v1/cart/items/{product_id}/")
