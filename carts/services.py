"""Cart writes: each one a transaction that locks the cart row and bumps its version."""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F

import caching
from catalog.models import Product
from shop.exceptions import Conflict, InvalidRequest, NotFound

from .cache import cart_cache_id
from .models import Cart, CartItem
from .selectors import CartOwner, cart_get, cart_snapshot

MAX_QUANTITY_PER_ITEM = 99


def _locked_cart(*, owner: CartOwner, create: bool) -> Cart | None:
    """The owner's cart row, locked until the transaction ends, so concurrent
    writes to one cart apply one after the other and each sees the last."""
    cart = Cart.objects.select_for_update().filter(**owner.lookup()).first()
    if cart is None and create:
        cart, _ = Cart.objects.get_or_create(**owner.lookup())
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
    return cart


def _bump_version(cart: Cart) -> None:
    Cart.objects.filter(pk=cart.pk).update(version=F("version") + 1)
    cart.refresh_from_db(fields=["version", "updated_at"])


def cart_write_through(*, owner: CartOwner, cart: Cart | None) -> None:
    """Write the cart's snapshot to the cache once this transaction commits (write-through).

    The snapshot is read after the commit, fenced (caching.strategies.write_through):
    a product change committed meanwhile cannot leave an older price in the cache, and
    Redis keeps the newest cart version it has seen.
    """
    caching.put("cart", cart_cache_id(owner), lambda: cart_snapshot(cart=cart_get(owner=owner)))


def _active_product(product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id, is_active=True, category__is_active=True).first()
    if product is None:
        raise InvalidRequest("Unknown product.", details={"product_id": [f"No active product with id {product_id}."]})
    return product


def _check_quantity(product: Product, quantity: int) -> None:
    if quantity > MAX_QUANTITY_PER_ITEM:
        raise InvalidRequest(
            f"At most {MAX_QUANTITY_PER_ITEM} of one product per cart.",
            details={"quantity": [f"Ensure this value is less than or equal to {MAX_QUANTITY_PER_ITEM}."]},
        )
    if quantity > product.stock:
        raise Conflict(
            f"Only {product.stock} of '{product.name}' in stock.",
            details={"product_id": product.id, "available": product.stock},
        )


def cart_add_item(*, owner: CartOwner, product_id: int, quantity: int) -> Cart:
    """Add `quantity` of a product (added to what the cart already holds)."""
    with transaction.atomic():
        product = _active_product(product_id)
        cart = _locked_cart(owner=owner, create=True)
        item = CartItem.objects.filter(cart=cart, product=product).first()
        new_quantity = quantity + (item.quantity if item else 0)
        _check_quantity(product, new_quantity)
        if item is None:
            CartItem.objects.create(cart=cart, product=product, quantity=new_quantity, unit_price=product.price)
        else:
            item.quantity = new_quantity
            item.save(update_fields=["quantity"])
        _bump_version(cart)
        cart_write_through(owner=owner, cart=cart)
        return cart


def cart_set_item_quantity(*, owner: CartOwner, product_id: int, quantity: int) -> Cart:
    """Set the quantity of a product already in the cart."""
    with transaction.atomic():
        cart = _locked_cart(owner=owner, create=False)
        item = CartItem.objects.filter(cart=cart, product_id=product_id).select_related("product").first()
        if cart is None or item is None:
            raise NotFound("This product is not in the cart.")
        _check_quantity(item.product, quantity)
        item.quantity = quantity
        item.save(update_fields=["quantity"])
        _bump_version(cart)
        cart_write_through(owner=owner, cart=cart)
        return cart


def cart_remove_item(*, owner: CartOwner, product_id: int) -> Cart:
    with transaction.atomic():
        cart = _locked_cart(owner=owner, create=False)
        deleted = CartItem.objects.filter(cart=cart, product_id=product_id).delete()[0] if cart else 0
        if not deleted:
            raise NotFound("This product is not in the cart.")
        _bump_version(cart)
        cart_write_through(owner=owner, cart=cart)
        return cart


def cart_clear(*, owner: CartOwner) -> Cart | None:
    with transaction.atomic():
        cart = _locked_cart(owner=owner, create=False)
        if cart is not None:
            cart.items.all().delete()
            _bump_version(cart)
            cart_write_through(owner=owner, cart=cart)
        return cart


def cart_confirm_current_prices(*, cart: Cart, owner: CartOwner, prices: dict[int, Decimal]) -> list[dict]:
    """Make the cart confirm `prices` (product id -> current price) for its lines whose
    confirmed price differs; returns those changes. Call it inside the transaction that
    locked the cart: the version moves, so a checkout naming the old one is refused."""
    changes = []
    for item in cart.items.all():
        price = prices.get(item.product_id)
        if price is not None and price != item.unit_price:
            changes.append({"product_id": item.product_id, "confirmed_unit_price": str(item.unit_price),
                            "unit_price": str(price)})
            item.unit_price = price
            item.save(update_fields=["unit_price"])
    if changes:
        _bump_version(cart)
        cart_write_through(owner=owner, cart=cart)
    return changes


def cart_merge_into_user(*, session_key: str, user_id: int) -> Cart | None:
    """Move an anonymous session's cart into the user's cart at login.

    Quantities of a product in both carts add up (capped at the per-item
    maximum); the user's cart keeps its own unit prices. The anonymous cart is
    deleted.
    """
    with transaction.atomic():
        anonymous = _locked_cart(owner=CartOwner(session_key=session_key), create=False)
        if anonymous is None:
            return None
        user_cart = _locked_cart(owner=CartOwner(user_id=user_id), create=True)
        existing = {item.product_id: item for item in user_cart.items.all()}
        for item in anonymous.items.all():
            mine = existing.get(item.product_id)
            if mine is None:
                CartItem.objects.create(
                    cart=user_cart, product_id=item.product_id, quantity=item.quantity, unit_price=item.unit_price
                )
            else:
                mine.quantity = min(mine.quantity + item.quantity, MAX_QUANTITY_PER_ITEM)
                mine.save(update_fields=["quantity"])
        anonymous.delete()
        _bump_version(user_cart)
        caching.invalidate("cart", cart_cache_id(CartOwner(session_key=session_key)))
        cart_write_through(owner=CartOwner(user_id=user_id), cart=user_cart)
        return user_cart
