"""Catalog shapes: output serializers and the query parameters the listings accept."""
from rest_framework import serializers

from .models import Category, Product
from .selectors import PRODUCT_ORDERINGS


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent"]


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]


class ProductListItemSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    in_stock = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "slug", "price", "in_stock", "category"]

    def get_in_stock(self, product: Product) -> bool:
        return product.stock > 0


class ProductDetailSerializer(ProductListItemSerializer):
    class Meta(ProductListItemSerializer.Meta):
        fields = [*ProductListItemSerializer.Meta.fields, "description", "stock", "attributes", "updated_at"]


class ProductListParams(serializers.Serializer):
    """Query parameters of product listings; every value is checked, unknown names ignored."""

    category = serializers.SlugField(required=False, max_length=140)
    min_price = serializers.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=0)
    max_price = serializers.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=0)
    ordering = serializers.ChoiceField(required=False, choices=PRODUCT_ORDERINGS)
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100)

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"min_price": "min_price must not exceed max_price."})
        return attrs


class SearchParams(ProductListParams):
    q = serializers.CharField(max_length=200, trim_whitespace=True)
