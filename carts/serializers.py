"""Cart input shapes (the output is the snapshot built by the selector)."""
from rest_framework import serializers

from shop.api.bodies import StrictJSONTypes
from shop.api.ids import id_field

from .services import MAX_QUANTITY_PER_ITEM


class CartItemAddInput(StrictJSONTypes, serializers.Serializer):
    product_id = id_field()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY_PER_ITEM, default=1)


class CartItemUpdateInput(StrictJSONTypes, serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY_PER_ITEM)
