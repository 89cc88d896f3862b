"""Catalog HTTP endpoints: thin views over the selectors."""
from django.core.exceptions import ObjectDoesNotExist
from rest_framework import generics
from rest_framework.exceptions import ValidationError

from shop.api.params import validate_query

from . import selectors
from .models import Category
from .serializers import (
    CategorySerializer,
    ProductDetailSerializer,
    ProductListItemSerializer,
    ProductListParams,
    SearchParams,
)


def _category_filter(params: dict) -> Category | None:
    slug = params.get("category")
    if slug is None:
        return None
    try:
        return Category.objects.get(slug=slug, is_active=True)
    except ObjectDoesNotExist:
        raise ValidationError({"category": f"Unknown category '{slug}'."}) from None


class ProductListView(generics.ListAPIView):
    serializer_class = ProductListItemSerializer

    def get_queryset(self):
        params = validate_query(ProductListParams, self.request)
        return selectors.product_list(
            category=_category_filter(params),
            min_price=params.get("min_price"),
            max_price=params.get("max_price"),
            ordering=params.get("ordering"),
        )


class ProductDetailView(generics.RetrieveAPIView):
    serializer_class = ProductDetailSerializer

    def get_object(self):
        return selectors.product_get(product_id=self.kwargs["pk"])


class CategoryListView(generics.ListAPIView):
    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.category_list()


class CategoryProductListView(generics.ListAPIView):
    serializer_class = ProductListItemSerializer

    def get_queryset(self):
        params = validate_query(ProductListParams, self.request)
        return selectors.product_list(
            category=selectors.category_get(slug=self.kwargs["slug"]),
            min_price=params.get("min_price"),
            max_price=params.get("max_price"),
            ordering=params.get("ordering"),
        )


class SearchView(generics.ListAPIView):
    serializer_class = ProductListItemSerializer

    def get_queryset(self):
        params = validate_query(SearchParams, self.request)
        return selectors.product_search(
            query=params["q"],
            category=_category_filter(params),
            min_price=params.get("min_price"),
            max_price=params.get("max_price"),
            ordering=params.get("ordering"),
        )
