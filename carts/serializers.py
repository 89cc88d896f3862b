"""Cart shapes: the inputs, and the snapshot the API shows (built by selectors.cart_snapshot)."""
from rest_framework import serializers

from shop.api.bodies import StrictJSONTypes
from shop.api.ids import id_field
from shop.api.schema import error_serializer

from .services import MAX_QUANTITY_PER_ITEM


class CartItemAddInput(StrictJSONTypes, serializers.Serializer):
    product_id = id_field()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY_PER_ITEM, default=1)


class CartItemUpdateInput(StrictJSONTypes, serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY_PER_ITEM)


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class CartLineSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)
    unit_price = _money(help_text="The product's current price.")
    line_total = _money()
    available = serializers.BooleanField(
        help_text="False when the product or its category is no longer sold: the line is not counted in the "
                  "totals and a checkout is refused.")
    confirmed_unit_price = _money(
        allow_null=True,
        help_text="The price the cart last confirmed, when the current one differs (else null).")


class CartSerializer(serializers.Serializer):
    """The cart snapshot (carts.selectors.cart_snapshot)."""

    id = serializers.IntegerField(allow_null=True, help_text="Null while the visitor has no cart yet.")
    version = serializers.IntegerField(
        min_value=0, help_text="Bumped by every write; a checkout names the version the user confirmed.")
    items = CartLineSerializer(many=True)
    item_count = serializers.IntegerField(min_value=0, help_text="Units of the available lines.")
    total = _money(help_text="Sum of the available lines at current prices.")
    price_changed = serializers.BooleanField(help_text="True when a line's `confirmed_unit_price` is set.")


class StockConflictDetails(serializers.Serializer):
    product_id = serializers.IntegerField()
    available = serializers.IntegerField(min_value=0, help_text="Units in stock now.")


CART_STOCK_CONFLICT = error_serializer("CartStockConflictError", StockConflictDetails())
