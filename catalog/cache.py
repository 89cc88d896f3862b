"""What the catalog declares to the cache layer: its data types and the changes that touch them.

Listings and searches hold ordered product ids; their bodies are assembled from
per-product cards (one multi-get). So a change invalidates only what it changes:
- a product's card and detail, on any change of the product (its stock included);
- the id lists of the listings it can move in, out or within: its scopes' membership
  on a create, delete, (de)activation or category move; their price order (and
  price-filtered lists) on a price change; their name order on a rename. A checkout,
  which changes stock only, invalidates no listing and no search;
- searches, when the search index has caught up with a change of what it holds
  (catalog.search).
Listings and searches are generational (one bump per namespace, never SCAN/DEL) and
are served stale within a bound while one background refresh rebuilds them.

The same rules name the public paths the CDN must drop (`cdn_paths`): a product's
detail; the listing paths of the scopes whose namespaces a change bumps (every query
string of them: a path cannot tell the CDN which ordering it was); every search when
the search index catches up with a change.
"""
from __future__ import annotations

from django.conf import settings

from caching import DataType, ModelRule, edge, register

from . import payloads
from .models import Category, Product
from .search import search_namespaces

LISTING_MEMBERSHIP_FIELDS = ("is_active", "category_id", "department_id")


def category_and_ancestor_ids(category_id: int | None) -> list[int]:
    """A category's id, then its parent's, up to the top."""
    ids: list[int] = []
    while category_id is not None and category_id not in ids:
        ids.append(category_id)
        category_id = Category.objects.filter(pk=category_id).values_list("parent_id", flat=True).first()
    return ids


def listing_scopes(category_id: int | None) -> list[str]:
    """Every listing scope a product of this category appears in (see selectors.listing_scope)."""
    if category_id is None:
        return []
    chain = category_and_ancestor_ids(category_id)
    scopes = ["all", f"d{chain[-1]}"]
    if len(chain) > 1:
        scopes.append(f"c{chain[0]}")
        scopes.extend(f"t{middle}" for middle in chain[1:-1])
    return scopes


def listing_namespaces(params: dict) -> list[str]:
    """A listing page depends on its scope's membership, and on the field it is ordered or
    filtered by when that field can change (price, name; never created_at or id)."""
    scope = params["scope"]
    namespaces = [f"listing:{scope}"]
    ordering = (params.get("ordering") or "").lstrip("-")
    if ordering == "price" or params.get("min_price") or params.get("max_price"):
        namespaces.append(f"listing:{scope}:price")
    if ordering == "name":
        namespaces.append(f"listing:{scope}:name")
    return namespaces


def count_namespaces(params: dict) -> list[str]:
    scope = params["scope"]
    if params.get("min_price") or params.get("max_price"):
        return [f"listing:{scope}", f"listing:{scope}:price"]
    return [f"listing:{scope}"]


def _warm_products():
    from .services import WARM_PRODUCTS, catalog_warm_products

    return catalog_warm_products(limit=WARM_PRODUCTS, rate=5_000)


def _warm_listings():
    from .services import catalog_warm_listings

    return catalog_warm_listings()


def _warm_searches():
    from .services import catalog_warm_searches

    return catalog_warm_searches()


def listing_cdn_paths(namespace: str) -> list[str]:
    """The public paths of a listing namespace ("listing:<scope>[:price|:name]"), with every
    query string (CloudFront caches listings per query string; `*` ends a path)."""
    scope = namespace.split(":")[1]
    if scope == "all":
        return ["/api/v1/products/", "/api/v1/products/?*"]
    slug = Category.objects.filter(pk=int(scope[1:])).values_list("slug", flat=True).first()
    return [f"/api/v1/categories/{slug}/products/*"] if slug else []


def _listings_touched_by_product(product: Product, previous: dict | None) -> list[str]:
    scopes = listing_scopes(product.category_id)
    if previous is None:  # created or deleted
        return [f"listing:{scope}" for scope in scopes]
    if any(previous.get(field) != getattr(product, field) for field in LISTING_MEMBERSHIP_FIELDS):
        moved = set(scopes) | set(listing_scopes(previous.get("category_id")))
        return [f"listing:{scope}" for scope in sorted(moved)]
    touched = []
    if previous.get("price") != product.price:
        touched += [f"listing:{scope}:price" for scope in scopes]
    if previous.get("name") != product.name:
        touched += [f"listing:{scope}:name" for scope in scopes]
    return touched


def _listings_touched_by_category(category: Category, previous: dict | None) -> list[str]:
    if previous is not None and previous.get("is_active") == category.is_active \
            and previous.get("parent_id") == category.parent_id:
        return []
    scopes = set(listing_scopes(category.pk)) | {f"c{category.pk}", f"t{category.pk}"}
    if previous is not None:
        scopes |= set(listing_scopes(previous.get("parent_id")))
    return [f"listing:{scope}" for scope in sorted(scopes)]


def _products_of_category(category: Category, previous: dict | None):
    # A category's name and visibility are part of every product detail and card in it.
    return list(Product.objects.filter(category_id=category.pk).values_list("pk", flat=True))


# Products, their cards and listing pages stay an hour in L2, well past the edge's 300 s:
# every change drops them (on commit, with a CDN purge), so the TTL only bounds how long an
# unread entry stays, and an edge miss then finds L2 instead of a copy that expired with the
# edge's (docs/capacity.md, 3.1: 95.6 % of product reads served without a load, not 83.5 %).
PRODUCT_TTL = 3600

PRODUCT_RULES = (
    ModelRule(Product, ids=lambda product, previous: [product.pk]),
    ModelRule(Category, ids=_products_of_category),
)

PRODUCT = register(DataType(
    name="product",
    strategy="cache_aside",
    loader=payloads.product_payload,
    serializer="raw",
    ttl=PRODUCT_TTL,
    jitter=0.10,
    levels=("l1", "l2"),
    negative=lambda body: body == b"",  # no such product: kept briefly, at most so many
    invalidated_by=PRODUCT_RULES,
    cdn_paths=lambda product_id: [f"/api/v1/products/{product_id}/"],
    warmer=_warm_products,
))

PRODUCT_CARD = register(DataType(
    name="product_card",  # a product as listings and searches show it: rendered JSON bytes
    strategy="cache_aside",
    loader=payloads.product_card,
    serializer="raw",
    ttl=PRODUCT_TTL,
    jitter=0.10,
    levels=("l1", "l2"),
    negative=lambda body: body == b"",
    invalidated_by=PRODUCT_RULES,
))

LISTING_PAGE = register(DataType(
    name="listing_page",  # {"ids": [...]}: one page of a listing, in order
    strategy="generational",
    namespace=listing_namespaces,
    loader=payloads.listing_page,
    serializer="json",
    ttl=PRODUCT_TTL,
    jitter=0.10,
    max_staleness=settings.LISTING_MAX_STALENESS,
    levels=("l1", "l2"),
    invalidated_by=(
        ModelRule(Product, ids=_listings_touched_by_product,
                  track=("price", "name", *LISTING_MEMBERSHIP_FIELDS)),
        ModelRule(Category, ids=_listings_touched_by_category, track=("is_active", "parent_id")),
    ),
    cdn_paths=listing_cdn_paths,
    warmer=_warm_listings,
))

LISTING_COUNT = register(DataType(
    name="listing_count",  # how many products a listing (scope and price filter) has
    strategy="generational",
    namespace=count_namespaces,
    loader=payloads.listing_count,
    serializer="json",
    ttl=600,
    jitter=0.10,
    max_staleness=settings.LISTING_MAX_STALENESS,
    levels=("l1", "l2"),
    invalidated_by=LISTING_PAGE.invalidated_by,
    cdn_paths=listing_cdn_paths,
))

SEARCH = register(DataType(
    name="search",  # {"ids": [...], "count": n}: one page of a search, from the search index
    strategy="generational",
    namespace=search_namespaces,  # bumped by the index's catch-up (catalog.search)
    loader=payloads.search_page,
    serializer="json",
    ttl=600,
    jitter=0.10,
    max_staleness=settings.SEARCH_MAX_STALENESS,
    levels=("l1", "l2"),
    cdn_paths=lambda namespace: ["/api/v1/search/*"],
    warmer=_warm_searches,
))

LISTING_SCOPE = register(DataType(
    name="listing_scope",  # which index a category's listing reads: "all", "d<id>", "c<id>", "t<id>"
    loader=payloads.listing_scope,
    serializer="json",
    ttl=3600,
    levels=("l1", "l2"),
    invalidated_by=(ModelRule(Category, ids=lambda category, previous: [
        category.pk, category.parent_id, (previous or {}).get("parent_id")], track=("parent_id",)),),
))

INACTIVE_CATEGORIES = register(DataType(
    name="inactive_categories",
    loader=payloads.inactive_categories,
    serializer="json",
    ttl=300,
    levels=("l1", "l2"),
    invalidated_by=(ModelRule(Category, ids=lambda category, previous: ["all"]),),
))

CATEGORY_SLUG = register(DataType(
    name="category_slug",  # the id of an active category (0: none), so unknown slugs cost no query
    loader=payloads.category_id_for_slug,
    serializer="json",
    ttl=300,
    levels=("l1", "l2"),
    negative=lambda category_id: category_id == 0,
    invalidated_by=(
        ModelRule(Category, ids=lambda category, previous: [category.slug, (previous or {}).get("slug")],
                  track=("slug",)),
    ),
))

CATEGORIES = register(DataType(
    name="categories",
    strategy="cache_aside",
    loader=payloads.category_list_payload,
    serializer="raw",
    ttl=300,
    levels=("l1", "l2"),
    invalidated_by=(ModelRule(Category, ids=lambda category, previous: ["all"]),),
))

# At the edge (CloudFront, API Gateway) and in browsers; the views send these policies.
# The cache keys hold exactly the query parameters the views read (serializers.ProductListParams,
# SearchParams). A catalog change is purged through `cdn_paths` above.
LISTING_QUERY = ("category", "max_price", "min_price", "ordering", "page", "page_size")
PRODUCT_EDGE = edge.public("/api/v1/products/{id}/", max_age=60, s_maxage=300)
LISTING_EDGE = edge.public("/api/v1/products/", max_age=60, s_maxage=300, query=LISTING_QUERY)
CATEGORY_LISTING_EDGE = edge.public("/api/v1/categories/{slug}/products/", max_age=60, s_maxage=300,
                                    query=LISTING_QUERY)
CATEGORIES_EDGE = edge.public("/api/v1/categories/", max_age=60, s_maxage=300)
SEARCH_EDGE = edge.public("/api/v1/search/", max_age=30, s_maxage=60, query=(*LISTING_QUERY, "q"))
