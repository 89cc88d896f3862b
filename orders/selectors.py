"""Order reads: a user only ever sees their own orders."""
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Order


def order_list(*, user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).prefetch_related("items").order_by("-created_at", "-id")


def order_get(*, user, order_id: int) -> Order:
    return get_object_or_404(Order.objects.prefetch_related("items"), pk=order_id, user=user)
