from rest_framework import serializers

from profiles.serializers import AddressSerializer

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


class CheckoutInput(serializers.Serializer):
    shipping_address = AddressSerializer(required=False)
