"""Order reads: a user only ever sees their own orders."""
from django.db.models import QuerySet

from .models import Order


def order_list(*, user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).prefetch_related("items").order_by("-created_at", "-id")
