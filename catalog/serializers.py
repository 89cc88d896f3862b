"""Catalog shapes: output serializers and the query parameters the listings accept."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shop.api.ids import page_field, page_size_field
from shop.api.schema import page_serializer

from .models import Category, Product
from .selectors import PRODUCT_ORDERINGS, SEARCH_MAX_WORDS, SEARCH_MIN_WORD_LENGTH, search_terms


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True,
                                          help_text="The parent category's slug; null for a top-level one.")

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


PRODUCT_PAGE = page_serializer("ProductPage", ProductListItemSerializer, capped_count=True)


@extend_schema_field({"type": "string", "pattern": r"^\d{1,8}(?:\.\d{0,2})?$", "example": "19.90",
                      "description": "A price in the shop's currency: at most 8 digits, 2 decimals."})
class PriceParam(serializers.DecimalField):
    """A non-negative price bound in a query string."""

    def __init__(self, **kwargs):
        super().__init__(required=False, max_digits=10, decimal_places=2, min_value=0, **kwargs)


class ProductListParams(serializers.Serializer):
    """Query parameters of product listings; every value is checked, unknown names ignored."""

    category = serializers.SlugField(
        required=False, max_length=140,
        help_text="A category's slug: its products and its subcategories'. An unknown slug is a 400.")
    min_price = PriceParam()
    max_price = PriceParam()
    ordering = serializers.ChoiceField(required=False, choices=PRODUCT_ORDERINGS)
    page = page_field()
    page_size = page_size_field()

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"min_price": "min_price must not exceed max_price."})
        return attrs


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 200,
                      # At least one run of SEARCH_MIN_WORD_LENGTH letters or digits.
                      "pattern": f"[^\\W_]{{{SEARCH_MIN_WORD_LENGTH}}}"})
class SearchQueryField(serializers.CharField):
    pass


class SearchParams(ProductListParams):
    q = SearchQueryField(
        max_length=200, trim_whitespace=True,
        help_text=f"Words to find in a product's name, description or sku, each as a word prefix, all required. "
                  f"Words shorter than {SEARCH_MIN_WORD_LENGTH} characters and common words (the, and, for...) "
                  f"are ignored; at most {SEARCH_MAX_WORDS} words count.",
    )

    def validate_q(self, value: str) -> str:
        terms = search_terms(value)
        if not terms:
            raise serializers.ValidationError(
                f"Give at least one word of {SEARCH_MIN_WORD_LENGTH} or more letters or digits that is not a "
                f"common word such as 'the'.")
        return " ".join(terms)
