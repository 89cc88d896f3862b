"""Order reads: a user only ever sees their own orders."""
from django.db.models import QuerySet

from .models import Order


def order_list(*, user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).prefetch_related("items").order_by("-created_at", "-id")


def product_ids_most_ordered(*, limit: int | None = None) -> list[int]:
    """Ids of the products in the most orders, most first (a line counts once, whatever its
    quantity: one order of fifty says less about demand than fifty orders of one)."""
    from django.db.models import Count

    from .models import OrderItem

    rows = (OrderItem.objects.filter(product__isnull=False).values("product_id")
            .annotate(orders=Count("id")).order_by("-orders", "product_id").values_list("product_id", flat=True))
    return list(rows if limit is None else rows[:limit])
