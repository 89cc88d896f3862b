"""Checkout and order history of the logged-in user (history and orders served from the cache)."""
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

import caching
from shop.api.headers import PrivateNoStoreMixin
from shop.api.http_cache import PRIVATE, cached_json_response
from shop.api.ids import checked_path_id
from shop.api.links import public_url
from shop.api.params import validate_query
from shop.api.schema import api_operation, id_parameter

from .cache import order_cache_id
from .serializers import CHECKOUT_CONFLICT, ORDER_PAGE, CheckoutInput, HistoryParams, OrderSerializer
from .services import order_checkout


class OrderListCreateView(PrivateNoStoreMixin, APIView):
    permission_classes = [IsAuthenticated]

    @api_operation(ok={200: ORDER_PAGE}, errors=[403, 404], cached=True, operation_id="orders_list",
                   parameters=[HistoryParams],
                   links={200: {"GetOrder": ("orders_retrieve", {"id": "$response.body#/results/0/id"})}},
                   descriptions={404: "`page` is past the last page (`not_found`)."})
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

    @api_operation(
        request=CheckoutInput, ok={201: OrderSerializer}, errors=[403, 409, 415], error_bodies={409: CHECKOUT_CONFLICT},
        links={201: {"GetOrder": ("orders_retrieve", {"id": "$response.body#/id"})}},
        descriptions={
            400: "Invalid input, or the cart is empty (`invalid`). Nothing was ordered.",
            409: "Nothing was ordered, because the cart changed since `cart_version` (`cart_changed`), a line "
                 "is no longer sold or short of stock (`unavailable`), or a price changed (`price_changed`: the "
                 "cart now confirms the new prices under a new version). `details.cart` is the cart now.",
        })
    def post(self, request):
        serializer = CheckoutInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = order_checkout(user=request.user, cart_version=data["cart_version"],
                               shipping_address=data.get("shipping_address"))
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDetailView(PrivateNoStoreMixin, APIView):
    permission_classes = [IsAuthenticated]

    @api_operation(ok={200: OrderSerializer}, errors=[403, 404], cached=True,
                   operation_id="orders_retrieve", parameters=[id_parameter("id", "The order's id.")],
                   descriptions={404: "The user has no order with this id (`not_found`)."})
    def get(self, request, pk: int):
        result = caching.fetch("order", order_cache_id(request.user.pk, checked_path_id(pk)))
        if not result.value:
            raise NotFound("No such order.")
        return cached_json_response(request, result.value, status=result.status, policy=PRIVATE)
