"""Catalog reads: product and category look-ups, listings and search."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import QuerySet

from .models import Category, Product

# Orderings a client may ask for; without one, a search gives the best matches first.
PRODUCT_ORDERINGS = ("price", "-price", "name", "-name", "created_at", "-created_at", "id", "-id")

# The words a search can use: words of three characters or more that are not among
# the commonest English words (InnoDB's default FULLTEXT list): they match nearly
# everything and say nothing about what a shopper wants.
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


def product_ids_in_order(*, limit: int | None = None) -> Iterator[int]:
    """Ids of the products sold (active, in an active category), in id order, streamed."""
    ids = Product.objects.filter(is_active=True, category__is_active=True).order_by("pk").values_list("pk", flat=True)
    if limit is not None:
        ids = ids[:limit]
    return ids.iterator(chunk_size=2000)


def product_ids_to_warm(*, limit: int | None = None) -> Iterable[int]:
    """The products warming loads, most wanted first: by recorded request counts; with none
    (a new store Redis), by how many orders name them; with neither (a new shop), in id
    order, since loading the catalog's first products beats loading nothing. Counts that
    exist are never padded with other products: those are what the traffic does not read."""
    from orders.selectors import product_ids_most_ordered

    from .popularity import KEEP, PRODUCT, top_products

    ids = top_products(KEEP[PRODUCT] if limit is None else limit)
    if ids:
        return ids
    ids = product_ids_most_ordered(limit=limit)
    if ids:
        return ids
    return product_ids_in_order(limit=limit)


def category_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent").order_by("name")


def inactive_category_ids() -> list[int]:
    """Ids of inactive categories: their products are not listed (few, so a short NOT IN)."""
    return sorted(Category.objects.filter(is_active=False).values_list("id", flat=True))


def listing_scope(category_id: int | None) -> str:
    """Which index a listing reads: "all", a department ("d<id>": a top-level category and its
    subcategories), a leaf category ("c<id>"), or a middle category's subtree ("t<id>")."""
    if category_id is None:
        return "all"
    category = Category.objects.filter(pk=category_id).values("parent_id").first()
    if category is None:
        return f"c{category_id}"  # gone: an empty listing
    if category["parent_id"] is None:
        return f"d{category_id}"
    if Category.objects.filter(parent_id=category_id).exists():
        return f"t{category_id}"
    return f"c{category_id}"


def listed_products(*, scope: str, min_price: Decimal | None = None, max_price: Decimal | None = None,
                    inactive_categories: list[int] = ()) -> QuerySet[Product]:
    """Active products of active categories in a listing scope, price-filtered; no join, so
    that a listing reads one index in order."""
    qs = Product.objects.filter(is_active=True)
    kind, ident = scope[0], scope[1:]
    if kind == "d":
        qs = qs.filter(department_id=int(ident))
    elif kind == "c":
        qs = qs.filter(category_id=int(ident))
    elif kind == "t":
        qs = qs.filter(category_id__in=category_with_descendant_ids(category=Category(pk=int(ident))))
    if inactive_categories:
        qs = qs.exclude(category_id__in=inactive_categories)
    if min_price is not None:
        qs = qs.filter(price__gte=min_price)
    if max_price is not None:
        qs = qs.filter(price__lte=max_price)
    return qs


LISTING_COUNT_CAP = 10_000


def capped_count(queryset: QuerySet[Product]) -> tuple[int, bool]:
    """(count, exact): counted up to LISTING_COUNT_CAP, so that counting the whole catalog
    reads 10,000 index entries, not a million. Pages go no further either."""
    count = queryset.order_by().values("id")[:LISTING_COUNT_CAP + 1].count()  # any 10,001 rows: no order
    return min(count, LISTING_COUNT_CAP), count <= LISTING_COUNT_CAP


def listing_ids(queryset: QuerySet[Product], *, ordering: str | None, offset: int, limit: int) -> list[int]:
    """One page of ids, in the listing's order: read from the matching index, no sort."""
    return list(queryset.order_by(*_ordering(ordering)).values_list("id", flat=True)[offset:offset + limit])


def category_with_descendant_ids(*, category: Category) -> list[int]:
    """The category's id and every active descendant's, walking the tree one level per query."""
    ids, frontier = [category.id], [category.id]
    while frontier:
        frontier = list(Category.objects.filter(parent_id__in=frontier, is_active=True).values_list("id", flat=True))
        ids.extend(frontier)
    return ids


def _ordering(ordering: str | None) -> tuple[str, ...]:
    if not ordering or ordering == "id":
        return ("id",)
    if ordering == "-id":
        return ("-id",)
    # A tie-breaker keeps pagination stable when many rows share a price or name; it runs
    # the same way as the order, so the (order, id) index is read forwards or backwards.
    return (ordering, "-id" if ordering.startswith("-") else "id")
