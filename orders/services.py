"""Checkout: turn the user's cart into an order, atomically."""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from carts.models import Cart
from carts.selectors import CartOwner
from carts.services import cart_write_through
from catalog.models import Product
from profiles.models import Profile
from shop.exceptions import Conflict, InvalidRequest

from .models import Order, OrderItem


def _lock_products(product_ids: list[int]) -> dict[int, Product]:
    """Lock the products' rows in id order until commit.

    Two checkouts that share products lock them in the same order, so they
    queue instead of deadlocking; the second sees the stock the first left.
    """
    locked = Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk")
    return {product.pk: product for product in locked}


def _default_address(user) -> dict:
    profile = Profile.objects.filter(user=user).first()
    return profile.addresses[0] if profile and profile.addresses else {}


def order_checkout(*, user, shipping_address: dict | None = None) -> Order:
    """Place an order for everything in the user's cart.

    In one transaction: lock the cart and the products, check every line's
    stock, decrement it, write the order at current prices and empty the cart.
    Raises InvalidRequest for an empty cart and Conflict when stock is short or
    a product is no longer sold; nothing changes then.
    """
    with transaction.atomic():
        cart = Cart.objects.select_for_update().filter(user=user).first()
        items = list(cart.items.all()) if cart else []
        if not items:
            raise InvalidRequest("Your cart is empty.")
        products = _lock_products(sorted(item.product_id for item in items))
        problems = []
        for item in items:
            product = products.get(item.product_id)
            if product is None or not product.is_active:
                problems.append({"product_id": item.product_id, "reason": "unavailable"})
            elif product.stock < item.quantity:
                problems.append(
                    {"product_id": product.pk, "reason": "insufficient_stock", "requested": item.quantity,
                     "available": product.stock}
                )
        if problems:
            raise Conflict("Some items cannot be ordered: not enough stock or no longer sold.", details=problems)

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
        cart_write_through(owner=CartOwner(user_id=user.id), cart=cart)
        return order
