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

# The words a search can use, the same on every database: InnoDB's default
# FULLTEXT stopwords and minimum token size (a required term the index cannot
# hold would make every search come back empty), applied everywhere.
SEARCH_STOPWORDS = frozenset(
    "a about an are as at be by com de en for from how i in is it la of on or that the this to was what "
    "when where who will with und www".split()
)
SEARCH_MIN_WORD_LENGTH = 3
SEARCH_MAX_WORDS = 8
_TOKEN = re.compile(r"\w+", re.UNICODE)


def search_terms(query: str) -> list[str]:
    """The searchable words of `query`: lower-cased words of at least SEARCH_MIN_WORD_LENGTH
    characters that are not stopwords, in order, without repeats, at most SEARCH_MAX_WORDS.
    Empty when nothing is searchable (the API answers 400 then, never the whole catalog)."""
    terms: list[str] = []
    for word in _TOKEN.findall(query.lower()):
        word = word.strip("_")
        if len(word) >= SEARCH_MIN_WORD_LENGTH and word not in SEARCH_STOPWORDS and word not in terms:
            terms.append(word)
    return terms[:SEARCH_MAX_WORDS]


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

    Only `search_terms(query)` are searched, every one required, each as a word
    prefix. On MySQL/MariaDB this uses the FULLTEXT index (boolean mode); elsewhere
    (SQLite for local runs) a portable icontains query. Without an explicit
    ordering, the best matches come first. A query with no searchable word
    matches nothing (the API refuses it before it gets here).
    """
    qs = product_list(category=category, min_price=min_price, max_price=max_price)
    terms = search_terms(query)
    if not terms:
        return qs.none()
    if connection.vendor == "mysql":
        against = " ".join(f"+{term}*" for term in terms)
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
        for term in terms:
            qs = qs.filter(Q(name__icontains=term) | Q(sku__icontains=term) | Q(description__icontains=term))
    return qs.order_by(*_ordering(ordering))


def _ordering(ordering: str | None) -> tuple[str, ...]:
    if not ordering or ordering == "id":
        return ("id",)
    # A tie-breaker keeps pagination stable when many rows share a price or name.
    return (ordering, "id")
