"""What orders declare to the cache layer: each user's order history pages and orders, in L2."""
from __future__ import annotations

import orjson

from caching import DataType, ModelRule, edge, register
from shop.api.pages import page_body

from .models import Order, OrderItem


def history_namespace(params: dict) -> str:
    return f"orders:user:{params['user']}"


def history_payload(params: dict) -> bytes:
    """One page of a user's order history."""
    from .selectors import order_list
    from .serializers import OrderSerializer

    base = f"{params['base_url']}?page_size={params['page_size']}&page="
    return orjson.dumps(page_body(
        order_list(user=params["user"]), page=params["page"], size=params["page_size"],
        link=lambda page: f"{base}{page}", represent=lambda rows: OrderSerializer(rows, many=True).data,
    ), default=str)


def order_cache_id(user_id: int, order_id: int) -> str:
    return f"{user_id}-{order_id}"


def order_payload(cache_id: str) -> bytes:
    """One order of one user, or b"" when that user has no such order (cached as well)."""
    from .serializers import OrderSerializer

    user_id, order_id = (int(part) for part in cache_id.split("-"))
    order = Order.objects.prefetch_related("items").filter(pk=order_id, user_id=user_id).first()
    return orjson.dumps(OrderSerializer(order).data, default=str) if order else b""


def _order_of_item(item: OrderItem) -> Order:
    return Order.objects.only("user_id").get(pk=item.order_id)


ORDER_HISTORY = register(DataType(
    name="order_history",
    strategy="generational",
    namespace=history_namespace,
    loader=history_payload,
    serializer="raw",
    ttl=60,
    jitter=0.10,
    levels=("l2",),  # private: every key holds its user's id
    invalidated_by=(
        ModelRule(Order, ids=lambda order, previous: [f"orders:user:{order.user_id}"]),
        ModelRule(OrderItem, ids=lambda item, previous: [f"orders:user:{_order_of_item(item).user_id}"]),
    ),
))

ORDER = register(DataType(
    name="order",
    loader=order_payload,
    serializer="raw",
    negative=lambda body: body == b"",
    ttl=60,
    jitter=0.10,
    levels=("l2",),
    invalidated_by=(
        ModelRule(Order, ids=lambda order, previous: [order_cache_id(order.user_id, order.pk)]),
        ModelRule(OrderItem, ids=lambda item, previous: [order_cache_id(_order_of_item(item).user_id,
                                                                        item.order_id)]),
    ),
))

edge.private("/api/v1/orders/", "/api/v1/orders/{id}/")
