"""What the catalog's cache entries hold, loaded from the database (or the search index).

Product detail and card bodies are rendered once to JSON bytes: a hit sends (or
assembles) them as they are, skipping the ORM and the serializers. Listings and
searches hold ordered ids and counts.
"""
from __future__ import annotations

from decimal import Decimal

import orjson

from . import selectors
from .models import Category, Product
from .search_index import SearchQuery, search_index
from .serializers import CategorySerializer, ProductDetailSerializer, ProductListItemSerializer

# Built once: constructing a DRF serializer (binding and copying its fields) costs
# about 30 times more than representing one product with it.
_PRODUCT_DETAIL = ProductDetailSerializer()
_PRODUCT_CARD = ProductListItemSerializer()


def render(data) -> bytes:
    return orjson.dumps(data, default=str)


def _sold(queryset):
    return queryset.select_related("category").filter(is_active=True, category__is_active=True)


def product_payload(product_id: int) -> bytes:
    """The product detail body, or b"" when there is no such active product (cached too)."""
    product = _sold(Product.objects).filter(pk=product_id).first()
    return render(_PRODUCT_DETAIL.to_representation(product)) if product else b""


def product_payloads(product_ids: list[int]) -> dict[int, bytes]:
    """The detail bodies of many products, in one query (cache warming)."""
    return {product.pk: render(_PRODUCT_DETAIL.to_representation(product))
            for product in _sold(Product.objects).filter(pk__in=product_ids)}


def product_card(product_id: int) -> bytes:
    cards = product_cards([product_id])
    return cards.get(product_id, b"")


def product_cards(product_ids: list[int]) -> dict[int, bytes]:
    """The list items of many products, in one query; products no longer sold are left out."""
    return {product.pk: render(_PRODUCT_CARD.to_representation(product))
            for product in _sold(Product.objects).filter(pk__in=product_ids)}


def listing_scope(category_id: int) -> str:
    """Which index a category's listing reads (0: the whole catalog)."""
    return selectors.listing_scope(category_id or None)


def inactive_categories(_key: str = "all") -> list[int]:
    return selectors.inactive_category_ids()


def category_list_payload(_key: str = "all") -> bytes:
    return render(CategorySerializer(selectors.category_list(), many=True).data)


def category_id_for_slug(slug: str) -> int:
    """The id of the active category with this slug, or 0."""
    return Category.objects.filter(slug=slug, is_active=True).values_list("id", flat=True).first() or 0


def _price_filter(params: dict) -> dict[str, Decimal | None]:
    """The min_price and max_price of normalised listing parameters (strings there), as numbers."""
    return {name: Decimal(params[name]) if params.get(name) else None for name in ("min_price", "max_price")}


def _listed(params: dict, inactive: list[int]):
    return selectors.listed_products(
        scope=params["scope"], inactive_categories=inactive,
        **_price_filter(params),
    )


def listing_page(params: dict) -> dict:
    """{"ids": [...]}: one page of a listing, read from the index of its scope and order."""
    import caching

    queryset = _listed(params, caching.get_or_load("inactive_categories", "all"))
    size = params["page_size"]
    return {"ids": selectors.listing_ids(queryset, ordering=params["ordering"], offset=(params["page"] - 1) * size,
                                         limit=size)}


def listing_count(params: dict) -> dict:
    """{"count": n, "exact": bool}: counted up to selectors.LISTING_COUNT_CAP."""
    import caching

    count, exact = selectors.capped_count(_listed(params, caching.get_or_load("inactive_categories", "all")))
    return {"count": count, "exact": exact}


def search_page(params: dict) -> dict:
    """{"ids": [...], "count": n}: one page of a search, from the search index."""
    import caching

    scope = params["scope"]
    query = SearchQuery(
        terms=params["q"].split(), scope=scope,
        scope_categories=tuple(selectors.category_with_descendant_ids(category=Category(pk=int(scope[1:]))))
        if scope.startswith("t") else (),
        **_price_filter(params),
        ordering=params["ordering"] or None,
        inactive_categories=tuple(caching.get_or_load("inactive_categories", "all")),
    )
    size = params["page_size"]
    ids, count = search_index().search(query, offset=(params["page"] - 1) * size, limit=size)
    return {"ids": ids, "count": count}
