"""Catalog response bodies, rendered once to JSON bytes: what the cache layer stores.

A cache hit sends these bytes as they are, skipping the ORM and the serializers.
"""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

import orjson
from rest_framework.exceptions import NotFound

from shop.api.pages import page_body

from . import selectors
from .models import Category, Product
from .serializers import CategorySerializer, ProductDetailSerializer, ProductListItemSerializer

DEFAULT_PAGE_SIZE = 20

# Built once: constructing a DRF serializer (binding and copying its fields) costs
# about 30 times more than representing one product with it.
_PRODUCT_DETAIL = ProductDetailSerializer()


def render(data) -> bytes:
    return orjson.dumps(data, default=str)


def product_payload(product_id: int) -> bytes:
    """The product detail body, or b"" when there is no such active product (cached too)."""
    product = (
        Product.objects.select_related("category")
        .filter(pk=product_id, is_active=True, category__is_active=True)
        .first()
    )
    return render(_PRODUCT_DETAIL.to_representation(product)) if product else b""


def product_payloads(product_ids: list[int]) -> dict[int, bytes]:
    """The detail bodies of many products, in one query (cache warming)."""
    products = Product.objects.select_related("category").filter(
        pk__in=product_ids, is_active=True, category__is_active=True)
    return {product.pk: render(_PRODUCT_DETAIL.to_representation(product)) for product in products}


def category_list_payload(_key: str = "all") -> bytes:
    return render(CategorySerializer(selectors.category_list(), many=True).data)


def listing_params(validated: dict, *, category: tuple[int, str] | None, base_url: str, query: str | None = None,
                   category_in_query: bool = False) -> dict:
    """The normalised parameters of a listing or search page: its cache id and its input.

    Only validated values are kept (unknown query parameters never reach a key
    or a link); defaults are filled in, so `?page=1` and no page share an entry.
    """
    params = {
        "base_url": base_url,
        "category": category[0] if category else None,
        "min_price": _decimal(validated.get("min_price")),
        "max_price": _decimal(validated.get("max_price")),
        "ordering": validated.get("ordering") or "",
        "page": validated.get("page") or 1,
        "page_size": validated.get("page_size") or DEFAULT_PAGE_SIZE,
    }
    if category_in_query and category is not None:
        params["category_slug"] = category[1]
    if query is not None:
        params["q"] = " ".join(query.lower().split())
    return params


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def listing_payload(params: dict) -> bytes:
    """One page of a product listing (or search, when params has "q"), rendered."""
    category = None
    if params["category"]:
        category = Category.objects.filter(pk=params["category"]).first()
        if category is None:  # deleted since its slug was looked up
            raise NotFound("No category with this slug.")
    filters = {
        "category": category,
        "min_price": Decimal(params["min_price"]) if params["min_price"] else None,
        "max_price": Decimal(params["max_price"]) if params["max_price"] else None,
        "ordering": params["ordering"] or None,
    }
    if "q" in params:
        queryset = selectors.product_search(query=params["q"], **filters)
    else:
        queryset = selectors.product_list(**filters)
    return render(page_body(
        queryset, page=params["page"], size=params["page_size"], link=lambda page: _link(params, page),
        represent=lambda rows: ProductListItemSerializer(rows, many=True).data,
    ))


def _link(params: dict, page: int) -> str:
    query = {name: params[name] for name in ("q", "min_price", "max_price", "ordering") if params.get(name)}
    if params.get("category_slug"):
        query["category"] = params["category_slug"]
    query.update({"page": page, "page_size": params["page_size"]})
    return f"{params['base_url']}?{urlencode(query)}"
