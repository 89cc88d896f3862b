"""What the catalog declares to the cache layer (shared/ARCHITECTURE.md §3)."""
from __future__ import annotations

from caching import DataType, ModelRule, register

from . import payloads
from .models import Category, Product

CATALOG = "catalog"  # the generation bumped by any catalog change (search, unfiltered listings)


def category_and_ancestor_ids(category_id: int | None) -> list[int]:
    """A category's listing includes its subcategories' products: a change under it touches it too."""
    ids: list[int] = []
    while category_id is not None and category_id not in ids:
        ids.append(category_id)
        category_id = Category.objects.filter(pk=category_id).values_list("parent_id", flat=True).first()
    return ids


def listing_namespace(params: dict) -> str:
    return f"{CATALOG}:category:{params['category']}" if params.get("category") else CATALOG


def _listings_touched_by_product(product: Product, previous: dict | None) -> list[dict]:
    """The new category and, after a move, the old one, with their ancestors."""
    category_ids = set(category_and_ancestor_ids(product.category_id))
    if previous and previous.get("category_id") != product.category_id:
        category_ids.update(category_and_ancestor_ids(previous.get("category_id")))
    return [{"category": category_id} for category_id in category_ids]


def _listings_touched_by_category(category: Category, previous: dict | None) -> list[dict]:
    category_ids = set(category_and_ancestor_ids(category.pk))
    if previous and previous.get("parent_id") != category.parent_id:
        category_ids.update(category_and_ancestor_ids(previous.get("parent_id")))
    return [{"category": category_id} for category_id in category_ids]


def _products_of_category(category: Category, previous: dict | None):
    # A category's name and visibility are part of every product detail in it.
    return list(Product.objects.filter(category_id=category.pk).values_list("pk", flat=True))


PRODUCT = register(DataType(
    name="product",
    strategy="cache_aside",
    loader=payloads.product_payload,
    serializer="raw",
    ttl=300,
    jitter=0.10,
    levels=("l1", "l2"),
    invalidated_by=(
        ModelRule(Product, ids=lambda product, previous: [product.pk]),
        ModelRule(Category, ids=_products_of_category),
    ),
    cdn_paths=lambda product_id: [f"/api/v1/products/{product_id}/"],
))

LISTING = register(DataType(
    name="listing",
    strategy="generational",
    namespace=listing_namespace,
    loader=payloads.listing_payload,
    serializer="raw",
    ttl=300,
    jitter=0.10,
    levels=("l1", "l2"),
    invalidated_by=(
        ModelRule(Product, ids=_listings_touched_by_product, track=("category_id",)),
        ModelRule(Category, ids=_listings_touched_by_category, track=("parent_id",)),
    ),
    bumps=(CATALOG,),
))

SEARCH = register(DataType(
    name="search",
    strategy="generational",
    namespace=CATALOG,
    loader=payloads.listing_payload,
    serializer="raw",
    ttl=600,
    jitter=0.10,
    levels=("l2",),
    invalidated_by=(ModelRule(Product), ModelRule(Category)),
))

def category_id_for_slug(slug: str) -> int:
    """The id of the active category with this slug, or 0 (cached too: unknown slugs cost no query)."""
    return Category.objects.filter(slug=slug, is_active=True).values_list("id", flat=True).first() or 0


CATEGORY_SLUG = register(DataType(
    name="category_slug",
    loader=category_id_for_slug,
    serializer="json",
    ttl=300,
    levels=("l1", "l2"),
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
