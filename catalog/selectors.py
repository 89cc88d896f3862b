"""Catalog reads: product and category look-ups, listings and search."""
from __future__ import annotations

import re
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from .models import Category, Product

# Orderings a client may ask for; "relevance" only means something for search.
PRODUCT_ORDERINGS = ("price", "-price", "name", "-name", "created_at", "-created_at", "id", "-id")

# InnoDB's default FULLTEXT stopwords and minimum token size: a required (+)
# term that the index cannot hold would make every search come back empty.
_FULLTEXT_STOPWORDS = frozenset(
    "a about an are as at be by com de en for from how i in is it la of on or that the this to was what "
    "when where who will with und www".split()
)
_FULLTEXT_MIN_TOKEN = 3
_TOKEN = re.compile(r"\w+", re.UNICODE)


def category_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent").order_by("name")


def category_with_descendant_ids(*, category: Category) -> list[int]:
    """The category's id and every active descendant's, walking the tree one level per query."""
    ids, frontier = [category.id], [category.id]
    while frontier:
        frontier = list(Category.objects.filter(parent_id__in=frontier, is_active=True).values_list("id", flat=True))
        ids.extend(frontier)
    return ids


def product_list(
    *,
    category: Category | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    ordering: str | None = None,
) -> QuerySet[Product]:
    """Active products of active categories, filtered and ordered."""
    qs = Product.objects.filter(is_active=True, category__is_active=True).select_related("category")
    if category is not None:
        qs = qs.filter(category_id__in=category_with_descendant_ids(category=category))
    if min_price is not None:
        qs = qs.filter(price__gte=min_price)
    if max_price is not None:
        qs = qs.filter(price__lte=max_price)
    return qs.order_by(*_ordering(ordering))


def product_search(
    *,
    query: str,
    category: Category | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    ordering: str | None = None,
) -> QuerySet[Product]:
    """Text search over name, description and sku, with the listing filters.

    On MySQL/MariaDB this uses the FULLTEXT index (boolean mode, every term
    required, prefix match); elsewhere a portable icontains query. Without an
    explicit ordering, the best matches come first.
    """
    qs = product_list(category=category, min_price=min_price, max_price=max_price)
    tokens = [t.lower() for t in _TOKEN.findall(query)]
    fulltext_terms = [t for t in tokens if len(t) >= _FULLTEXT_MIN_TOKEN and t not in _FULLTEXT_STOPWORDS]
    if connection.vendor == "mysql" and fulltext_terms:
        against = " ".join(f"+{term}*" for term in fulltext_terms)
        qs = qs.annotate(
            relevance=RawSQL(
                "MATCH(catalog_product.name, catalog_product.description, catalog_product.sku) "
                "AGAINST (%s IN BOOLEAN MODE)",
                [against],
            )
        ).filter(relevance__gt=0)
        if not ordering:
            return qs.order_by("-relevance", "id")
    else:
        for token in tokens:
            qs = qs.filter(Q(name__icontains=token) | Q(sku__icontains=token) | Q(description__icontains=token))
    return qs.order_by(*_ordering(ordering))


def _ordering(ordering: str | None) -> tuple[str, ...]:
    if not ordering or ordering == "id":
        return ("id",)
    # A tie-breaker keeps pagination stable when many rows share a price or name.
    return (ordering, "id")
