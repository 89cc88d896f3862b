"""Cart reads."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .models import Cart


@dataclass(frozen=True)
class CartOwner:
    """Who a cart belongs to: a logged-in user, or else an anonymous session."""

    user_id: int | None = None
    session_key: str | None = None

    def lookup(self) -> dict:
        """The filter of this owner's cart. An owner with neither a user nor a session key
        has no cart: filtering on session_key=None would match every user's cart."""
        if self.user_id is not None:
            return {"user_id": self.user_id}
        if not self.session_key:
            raise ValueError("a cart owner needs a user id or a session key")
        return {"session_key": self.session_key}

    @property
    def is_known(self) -> bool:
        return self.user_id is not None or bool(self.session_key)


def cart_get(*, owner: CartOwner) -> Cart | None:
    if not owner.is_known:
        return None
    return Cart.objects.filter(**owner.lookup()).first()


def cart_item_is_available(item) -> bool:
    """Can this line be bought: its product and the product's category are both active."""
    return item.product.is_active and item.product.category.is_active


def cart_snapshot(*, cart: Cart | None) -> dict:
    """The cart as the API shows it, at current prices: items with names and line totals,
    whether each can still be bought, whether its price changed since the cart last
    confirmed it, and the version a checkout must name."""
    if cart is None:
        return {"id": None, "version": 0, "items": [], "item_count": 0, "total": "0.00", "price_changed": False}
    items = []
    total = Decimal("0.00")
    count = 0
    for item in cart.items.select_related("product__category").order_by("added_at", "id"):
        price = item.product.price
        available = cart_item_is_available(item)
        line_total = price * item.quantity
        if available:
            total += line_total
            count += item.quantity
        items.append(
            {
                "product_id": item.product_id,
                "sku": item.product.sku,
                "name": item.product.name,
                "quantity": item.quantity,
                "unit_price": str(price),
                "line_total": str(line_total),
                "available": available,
                # The price the cart last confirmed, when the current one differs.
                "confirmed_unit_price": None if price == item.unit_price else str(item.unit_price),
            }
        )
    return {"id": cart.id, "version": cart.version, "items": items, "item_count": count, "total": str(total),
            "price_changed": any(line["confirmed_unit_price"] is not None for line in items)}
