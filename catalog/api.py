"""Catalog HTTP endpoints: validate, then serve the cached body (L1/L2) with HTTP caching headers.

These views are public: they never read the session (no `Vary: Cookie`, no
database query for the user), so a hit costs no database query at all.
"""
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.views import APIView

import caching
from shop.api.http_cache import CachePolicy, cached_json_response
from shop.api.ids import checked_path_id
from shop.api.links import public_url
from shop.api.params import validate_query

from . import payloads
from .serializers import ProductListParams, SearchParams

PRODUCT_POLICY = CachePolicy(public=True, max_age=60, s_maxage=300)
LISTING_POLICY = CachePolicy(public=True, max_age=60, s_maxage=300)
SEARCH_POLICY = CachePolicy(public=True, max_age=30, s_maxage=60)


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


class ProductDetailView(PublicCachedView):
    def get(self, request, pk: int):
        result = caching.fetch("product", checked_path_id(pk))
        if not result.value:
            raise NotFound("No product with this id.")
        return cached_json_response(request, result.value, status=result.status, policy=PRODUCT_POLICY)


class ProductListView(PublicCachedView):
    def get(self, request):
        validated = validate_query(ProductListParams, request)
        params = payloads.listing_params(validated, category=_category_filter(validated), base_url=self.base_url(),
                                         category_in_query=True)
        result = caching.fetch("listing", params)
        return cached_json_response(request, result.value, status=result.status, policy=LISTING_POLICY)


class CategoryProductListView(PublicCachedView):
    def get(self, request, slug: str):
        validated = validate_query(ProductListParams, request)
        category_id = caching.get_or_load("category_slug", slug)
        if not category_id:
            raise NotFound("No category with this slug.")
        params = payloads.listing_params(validated, category=(category_id, slug), base_url=self.base_url())
        result = caching.fetch("listing", params)
        return cached_json_response(request, result.value, status=result.status, policy=LISTING_POLICY)


class CategoryListView(PublicCachedView):
    def get(self, request):
        result = caching.fetch("categories", "all")
        return cached_json_response(request, result.value, status=result.status, policy=LISTING_POLICY)


class SearchView(PublicCachedView):
    def get(self, request):
        validated = validate_query(SearchParams, request)
        params = payloads.listing_params(validated, category=_category_filter(validated), base_url=self.base_url(),
                                         query=validated["q"], category_in_query=True)
        result = caching.fetch("search", params)
        return cached_json_response(request, result.value, status=result.status, policy=SEARCH_POLICY)
