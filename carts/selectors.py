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
        if self.user_id is not None:
            return {"user_id": self.user_id}
        return {"session_key": self.session_key}

    @property
    def is_known(self) -> bool:
        return self.user_id is not None or bool(self.session_key)


def cart_get(*, owner: CartOwner) -> Cart | None:
    if not owner.is_known:
        return None
    return Cart.objects.filter(**owner.lookup()).first()


def cart_snapshot(*, cart: Cart | None) -> dict:
    """The cart as the API shows it: items with names and line totals, and the version."""
    if cart is None:
        return {"id": None, "version": 0, "items": [], "item_count": 0, "total": "0.00"}
    items = []
    total = Decimal("0.00")
    count = 0
    for item in cart.items.select_related("product").order_by("added_at", "id"):
        line_total = item.unit_price * item.quantity
        total += line_total
        count += item.quantity
        items.append(
            {
                "product_id": item.product_id,
                "sku": item.product.sku,
                "name": item.product.name,
                "quantity": item.quantity,
                "unit_price": str(item.unit_price),
                "line_total": str(line_total),
            }
        )
    return {"id": cart.id, "version": cart.version, "items": items, "item_count": count, "total": str(total)}
