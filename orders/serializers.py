from rest_framework import serializers

from carts.serializers import CartSerializer
from profiles.serializers import AddressSerializer
from shop.api.bodies import StrictJSONTypes
from shop.api.ids import page_field, page_size_field
from shop.api.schema import error_serializer, page_serializer

from .models import Order, OrderItem


class OrderItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderItem
        fields = ["product_id", "sku", "name", "quantity", "unit_price", "line_total"]


class OrderSerializer(serializers.ModelSerializer):
    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "status", "item_count", "total", "shipping_address", "created_at", "items"]


ORDER_PAGE = page_serializer("OrderPage", OrderSerializer)


class HistoryParams(serializers.Serializer):
    page = page_field()
    page_size = page_size_field()


class CheckoutInput(StrictJSONTypes, serializers.Serializer):
    cart_version = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1,
        help_text="The cart `version` the user saw and confirmed; a checkout of any other version is a 409.")
    shipping_address = AddressSerializer(required=False)


class CheckoutProblemSerializer(serializers.Serializer):
    """One line a checkout refused: `reason` for `unavailable`, the two prices for `price_changed`."""

    product_id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=["unavailable", "insufficient_stock"], required=False)
    requested = serializers.IntegerField(required=False)
    available = serializers.IntegerField(required=False)
    confirmed_unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)


class CheckoutConflictDetails(serializers.Serializer):
    cart = CartSerializer(help_text="The cart now: show it, and check out again naming its `version`.")
    items = CheckoutProblemSerializer(many=True, required=False)


CHECKOUT_CONFLICT = error_serializer("CheckoutConflictError", CheckoutConflictDetails())
