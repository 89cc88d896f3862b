"""Checkout and order history of the logged-in user (history and orders served from the cache)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

import caching
from shop.api.headers import PrivateNoStoreMixin
from shop.api.http_cache import PRIVATE, cached_json_response
from shop.api.ids import checked_path_id, page_field, page_size_field
from shop.api.links import public_url
from shop.api.params import validate_query

from .cache import order_cache_id
from .serializers import CheckoutInput, OrderSerializer
from .services import order_checkout


class HistoryParams(serializers.Serializer):
    page = page_field()
    page_size = page_size_field()


class OrderListCreateView(PrivateNoStoreMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[HistoryParams], responses=OrderSerializer(many=True))
    def get(self, request):
        validated = validate_query(HistoryParams, request)
        params = {
            "user": request.user.pk,
            "page": validated.get("page") or 1,
            "page_size": validated.get("page_size") or 20,
            "base_url": public_url(request.path),
        }
        result = caching.fetch("order_history", params)
        return cached_json_response(request, result.value, status=result.status, policy=PRIVATE)

    @extend_schema(request=CheckoutInput, responses={201: OrderSerializer})
    def post(self, request):
        serializer = CheckoutInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = order_checkout(user=request.user, cart_version=data["cart_version"],
                               shipping_address=data.get("shipping_address"))
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDetailView(PrivateNoStoreMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderSerializer)
    def get(self, request, pk: int):
        result = caching.fetch("order", order_cache_id(request.user.pk, checked_path_id(pk)))
        if not result.value:
            raise NotFound("No such order.")
        return cached_json_response(request, result.value, status=result.status, policy=PRIVATE)
