"""Catalog HTTP endpoints: validate, then serve the cached body (L1/L2) with HTTP caching headers.

These views are public: they never read the session (no `Vary: Cookie`, no
database query for the user), so a hit costs no database query at all.
"""
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.views import APIView

import caching
from shop.api.http_cache import CachePolicy, cached_json_response
from shop.api.ids import checked_path_id
from shop.api.links import public_url
from shop.api.params import validate_query
from shop.api.schema import api_operation, id_parameter

from . import listings, popularity
from .cache import CATEGORIES_EDGE, CATEGORY_LISTING_EDGE, LISTING_EDGE, PRODUCT_EDGE, SEARCH_EDGE
from .serializers import (
    PRODUCT_PAGE,
    CategorySerializer,
    ProductDetailSerializer,
    ProductListParams,
    SearchParams,
)

# Declared once, in catalog/cache.py, with the edges' cache keys.
PRODUCT_POLICY = PRODUCT_EDGE.policy
LISTING_POLICY = LISTING_EDGE.policy
CATEGORY_LISTING_POLICY = CATEGORY_LISTING_EDGE.policy
CATEGORIES_POLICY = CATEGORIES_EDGE.policy
SEARCH_POLICY = SEARCH_EDGE.policy


class PublicCachedView(APIView):
    authentication_classes = ()
    permission_classes = ()

    def base_url(self) -> str:
        return public_url(self.request.path)


def _category_filter(params: dict) -> tuple[int, str] | None:
    """The (id, slug) of the `category` query parameter; an unknown slug is a 400."""
    slug = params.get("category")
    if slug is None:
        return None
    category_id = caching.get_or_load("category_slug", slug)
    if not category_id:
        raise ValidationError({"category": f"Unknown category '{slug}'."})
    return category_id, slug


LISTING_ERRORS = {
    400: "Invalid input: a query value out of its bounds, `min_price` above `max_price`, or an unknown "
         "`category` slug (`invalid`, `details` names the parameter).",
    404: "`page` is past the last page (`not_found`).",
}
PRODUCT_LINKS = {"GetProduct": ("products_retrieve", {"id": "$response.body#/results/0/id"})}
SLUG = OpenApiParameter("slug", {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"}, OpenApiParameter.PATH,
                        description="The category's slug; its subcategories' products are included.")


class ProductDetailView(PublicCachedView):
    @api_operation(ok={200: ProductDetailSerializer}, errors=[404], cached=True,
                   operation_id="products_retrieve", parameters=[id_parameter("id", "The product's id.")],
                   descriptions={404: "No active product with this id (`not_found`)."})
    def get(self, request, pk: int):
        product_id = checked_path_id(pk)
        result = caching.fetch("product", product_id)
        if not result.value:
            raise NotFound("No product with this id.")
        popularity.record_product(product_id)
        return cached_json_response(request, result.value, status=result.status, policy=PRODUCT_POLICY)


def _page_response(view, validated: dict, *, category: tuple[int, str] | None, in_query: bool,
                   query: str | None = None, policy: CachePolicy):
    params = listings.listing_params(validated, category_id=category[0] if category else None, query=query)
    extra = {"category": category[1]} if category and in_query else {}
    body, status = listings.page_body(params, base_url=view.base_url(), extra_query=extra, search=query is not None)
    # Counted once served: a page past the end is not what warming should load.
    (popularity.record_listing if query is None else popularity.record_search)(params)
    return cached_json_response(view.request, body, status=status, policy=policy)


class ProductListView(PublicCachedView):
    @api_operation(ok={200: PRODUCT_PAGE}, errors=[404], descriptions=LISTING_ERRORS, cached=True,
                   operation_id="products_list", parameters=[ProductListParams], links={200: PRODUCT_LINKS})
    def get(self, request):
        validated = validate_query(ProductListParams, request)
        return _page_response(self, validated, category=_category_filter(validated), in_query=True,
                              policy=LISTING_POLICY)


class CategoryProductListView(PublicCachedView):
    @api_operation(ok={200: PRODUCT_PAGE}, errors=[404], cached=True, operation_id="categories_products_list",
                   parameters=[SLUG, ProductListParams],
                   descriptions={**LISTING_ERRORS,
                                 404: "No active category with this slug, or `page` is past the last page "
                                      "(`not_found`)."})
    def get(self, request, slug: str):
        validated = validate_query(ProductListParams, request)
        category_id = caching.get_or_load("category_slug", slug)
        if not category_id:
            raise NotFound("No category with this slug.")
        return _page_response(self, validated, category=(category_id, slug), in_query=False,
                              policy=CATEGORY_LISTING_POLICY)


class CategoryListView(PublicCachedView):
    @api_operation(ok={200: CategorySerializer(many=True)}, cached=True, links={200: {
        "CategoryProducts": ("categories_products_list", {"slug": "$response.body#/0/slug"})}})
    def get(self, request):
        result = caching.fetch("categories", "all")
        return cached_json_response(request, result.value, status=result.status, policy=CATEGORIES_POLICY)


class SearchView(PublicCachedView):
    @api_operation(ok={200: PRODUCT_PAGE}, errors=[404], cached=True, operation_id="search_list",
                   parameters=[SearchParams],
                   descriptions={**LISTING_ERRORS,
                                 400: "Invalid input: no `q`, a `q` without a searchable word, a query value "
                                      "out of its bounds, `min_price` above `max_price`, or an unknown `category` "
                                      "slug (`invalid`, `details` names the parameter)."})
    def get(self, request):
        validated = validate_query(SearchParams, request)
        return _page_response(self, validated, category=_category_filter(validated), in_query=True,
                              query=validated["q"], policy=SEARCH_POLICY)
