from rest_framework import serializers

from profiles.serializers import AddressSerializer
from shop.api.bodies import StrictJSONTypes

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


class CheckoutInput(StrictJSONTypes, serializers.Serializer):
    cart_version = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1,
        help_text="The cart `version` the user saw and confirmed; a checkout of any other version is a 409.")
    shipping_address = AddressSerializer(required=False)
