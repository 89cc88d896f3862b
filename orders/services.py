"""Checkout: turn the user's cart into an order, atomically, at the prices the user confirmed."""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from carts.models import Cart
from carts.selectors import CartOwner, cart_snapshot
from carts.services import cart_confirm_current_prices, cart_write_through
from catalog.models import Category, Product
from profiles.models import Profile
from runtime_config.services import feature_enabled
from shop.exceptions import Conflict, InvalidRequest

from .models import Order, OrderItem


def _lock_products(product_ids: list[int]) -> dict[int, Product]:
    """Lock the products' rows in id order until commit.

    Two checkouts that share products lock them in the same order, so they
    queue instead of deadlocking; the second sees the stock the first left.
    Only product rows are locked: locking their categories too would make every
    checkout of one category wait for the others.
    """
    locked = Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk")
    return {product.pk: product for product in locked}


def _default_address(user) -> dict:
    profile = Profile.objects.filter(user=user).first()
    return profile.addresses[0] if profile and profile.addresses else {}


def _unavailable_lines(items, products: dict[int, Product]) -> list[dict]:
    category_ids = {product.category_id for product in products.values()}
    active_categories = set(Category.objects.filter(pk__in=category_ids, is_active=True).values_list("pk", flat=True))
    problems = []
    for item in items:
        product = products.get(item.product_id)
        if product is None or not product.is_active or product.category_id not in active_categories:
            problems.append({"product_id": item.product_id, "reason": "unavailable"})
        elif product.stock < item.quantity:
            problems.append({"product_id": product.pk, "reason": "insufficient_stock", "requested": item.quantity,
                             "available": product.stock})
    return problems


def order_checkout(*, user, cart_version: int, shipping_address: dict | None = None) -> Order:
    """Place an order for everything in the user's cart, as the user last saw it.

    `cart_version` is the cart version the client showed and the user confirmed.
    In one transaction: lock the cart and the products, check every line, decrement
    stock, write the order and empty the cart. Nothing is ordered, and Conflict (409)
    says why with the current cart, when:
    - the cart changed since `cart_version` (code `cart_changed`);
    - a product or its category is no longer sold, or stock is short (`unavailable`);
    - a price differs from the one the cart confirmed (`price_changed`): the cart then
      confirms the current prices under a new version, so the client can show them
      and check out again naming that version. A price change is never charged
      without the user seeing it.
    InvalidRequest (400) for an empty cart.
    """
    if not feature_enabled("checkout_enabled", default=True):
        # Operators pause checkout from the feature-flags config (S3), e.g. during a stock count.
        raise Conflict("Checkout is paused for a moment; your cart is kept. Try again shortly.",
                       code="checkout_paused")
    owner = CartOwner(user_id=user.id)
    with transaction.atomic():
        cart = Cart.objects.select_for_update().filter(user=user).first()
        items = list(cart.items.all()) if cart else []
        if not items:
            raise InvalidRequest("Your cart is empty.")
        if cart.version != cart_version:
            raise Conflict("Your cart changed since you confirmed it: check it and confirm again.",
                           code="cart_changed", details={"cart": cart_snapshot(cart=cart)})
        products = _lock_products(sorted(item.product_id for item in items))
        problems = _unavailable_lines(items, products)
        if problems:
            raise Conflict("Some items cannot be ordered: not enough stock or no longer sold.",
                           code="unavailable", details={"items": problems, "cart": cart_snapshot(cart=cart)})
        repriced = cart_confirm_current_prices(
            cart=cart, owner=owner, prices={pk: product.price for pk, product in products.items()})
        if not repriced:
            return _place_order(user=user, cart=cart, items=items, products=products, owner=owner,
                                shipping_address=shipping_address)
        current = cart_snapshot(cart=cart)
    # Outside the block: the cart's new confirmed prices are committed, the order is not placed.
    raise Conflict("Prices changed since you confirmed your cart: check the new prices and confirm again.",
                   code="price_changed", details={"items": repriced, "cart": current})


def _place_order(*, user, cart: Cart, items, products: dict[int, Product], owner: CartOwner,
                 shipping_address: dict | None) -> Order:
    lines = []
    total = Decimal("0.00")
    for item in items:
        product = products[item.product_id]
        product.stock -= item.quantity
        product.save(update_fields=["stock", "updated_at"])
        line_total = product.price * item.quantity
        total += line_total
        lines.append(
            OrderItem(product=product, sku=product.sku, name=product.name, quantity=item.quantity,
                      unit_price=product.price, line_total=line_total)
        )
    order = Order.objects.create(
        user=user,
        item_count=sum(item.quantity for item in items),
        total=total,
        shipping_address=shipping_address if shipping_address is not None else _default_address(user),
    )
    for line in lines:
        line.order = order
    OrderItem.objects.bulk_create(lines)
    cart.items.all().delete()
    cart.version += 1
    cart.save(update_fields=["version", "updated_at"])
    cart_write_through(owner=owner, cart=cart)
    return order
