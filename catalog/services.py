"""Catalog writes and maintenance."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

from django.utils import timezone

import caching
from caching.errors import L2Unavailable
from caching.handler import get_layer

from . import listings, payloads, selectors
from .models import Category, SearchRemoval
from .popularity import popularity_decay, top_listings, top_searches, warm_mark
from .selectors import PRODUCT_ORDERINGS


def catalog_warm_products(*, limit: int | None = None, by: str = "popularity", batch_size: int = 1000,
                          rate: float = 0, only_missing: bool = False,
                          progress: Callable[[int], None] = lambda n: None) -> int:
    """Render active products into the cache, in batches: the most requested first (`by`
    "popularity", see selectors.product_ids_to_warm) or in id order (`by` "id"); at most `rate`
    a second (0: no limit). `only_missing`: products the cache holds are not loaded again.
    Returns how many were stored."""
    pace = _Pace(rate / batch_size if rate else 0)
    ids = selectors.product_ids_to_warm(limit=limit) if by == "popularity" else selectors.product_ids_in_order(
        limit=limit)
    stored = 0
    for batch in _batches(ids, batch_size):
        todo = _missing("product", batch) if only_missing else batch
        if todo:
            pace.wait()
            stored += caching.warm("product", todo, payloads.product_payloads)
        progress(len(batch))
    return stored


def _batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for item_id in ids:
        batch.append(item_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _missing(data_type: str, ids: list[int]) -> list[int]:
    """The ids whose entry Redis does not hold: one pipeline of EXISTS, no value read (a
    periodic warm-up checks a few hundred thousand products this way in seconds)."""
    keys = [caching.registry.get(data_type).key(item_id) for item_id in ids]

    def run(client):
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.exists(key)
        return pipe.execute()

    try:
        held = get_layer().tier.call("warm", run)
    except L2Unavailable:
        return []  # Redis away: nothing can be stored anyway
    return [item_id for item_id, exists in zip(ids, held, strict=True) if not exists]


class _Pace:
    """At most `rate` loads a second, so warming never competes with shoppers for the database."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = time.monotonic()

    def wait(self) -> None:
        delay = self.next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next = max(self.next, time.monotonic()) + self.interval


WARM_PRODUCTS = 300_000  # after a flush: a million-product catalog's most read part, about a minute
WARM_LISTINGS = 1_000  # the busiest listings (each in its first pages)
WARM_SEARCHES = 1_000
WARM_PAGES = 3  # a listing's first pages: most shoppers never go further
WARM_SEARCH_PAGES = 2  # a search's: its second page is read about a fifth as often as its first


def catalog_warm_page(params: dict, *, search: bool, pace: _Pace | None = None) -> bool:
    """Load one listing or search page and its cards (a hit costs one read); False when the
    page is past the end. A miss waits its turn on `pace`."""
    if search:
        page = caching.fetch("search", params)
    else:
        counted = caching.get_or_load("listing_count", {k: params[k] for k in ("scope", "min_price", "max_price")})
        if params["page"] > 1 and (params["page"] - 1) * params["page_size"] >= counted["count"]:
            return False
        page = caching.fetch("listing_page", params)
    ids = page.value["ids"]
    if ids:
        caching.get_many("product_card", ids, payloads.product_cards)
    if pace is not None and page.status == caching.Status.MISS:
        pace.wait()
    return bool(ids) or params["page"] == 1


def _warm_category_lookups() -> list[tuple[int, str]]:
    """How a listing's URL finds its category and its index (a few hundred small entries);
    returns the active categories' (id, slug)."""
    categories = list(Category.objects.filter(is_active=True).order_by("pk").values_list("pk", "slug"))
    for category_id, slug in categories:
        caching.get_or_load("category_slug", slug)
        caching.get_or_load("listing_scope", category_id)
    return categories


def catalog_warm_listings(*, limit: int = WARM_LISTINGS, pages: int = WARM_PAGES, rate: float = 50,
                          progress: Callable[[int], None] = lambda n: None) -> int:
    """The first `pages` pages of the `limit` busiest listings (catalog.popularity), with their
    cards; while no listing has been counted, of every category's listing (and the whole
    catalog's) in every order, as a shop's first visitors would read them. Returns the pages."""
    pace, warmed = _Pace(rate), 0
    categories = _warm_category_lookups()
    busiest = top_listings(limit)
    if not busiest:
        busiest = [listings.listing_params({"ordering": ordering, "page": 1}, category_id=category_id)
                   for category_id in (None, *(pk for pk, _ in categories))
                   for ordering in ("", *PRODUCT_ORDERINGS)]
    for params in busiest:
        for page in range(1, pages + 1):
            if not catalog_warm_page({**params, "page": page}, search=False, pace=pace):
                break
            warmed += 1
        progress(1)
    return warmed


def catalog_warm_searches(*, limit: int = WARM_SEARCHES, pages: int = WARM_SEARCH_PAGES, rate: float = 50,
                          progress: Callable[[int], None] = lambda n: None) -> int:
    """The first `pages` pages of the most requested searches (catalog.popularity), with their cards."""
    pace, warmed = _Pace(rate), 0
    for params in top_searches(limit):
        for page in range(1, pages + 1):
            if not catalog_warm_page({**params, "page": page}, search=True, pace=pace):
                break
            warmed += 1
        progress(1)
    return warmed


def catalog_warm(*, products: int | None = WARM_PRODUCTS, listings_limit: int = WARM_LISTINGS,
                 searches: int = WARM_SEARCHES, pages: int = WARM_PAGES, rate: float = 50,
                 product_rate: float = 5_000, only_missing: bool = False) -> dict[str, int]:
    """Warm what shoppers read first, by recorded popularity: the busiest listings' first
    pages, the most frequent searches, the most requested products (else the most ordered).
    `only_missing`: products the cache still holds are not loaded again (the periodic run)."""
    warmed = {"listings": catalog_warm_listings(limit=listings_limit, pages=pages, rate=rate),
              "searches": catalog_warm_searches(limit=searches, rate=rate),
              "products": catalog_warm_products(limit=products, rate=product_rate, only_missing=only_missing)}
    warm_mark.set()
    return warmed


def catalog_warm_if_cold() -> dict[str, int] | None:
    """Warm when the cache has been flushed (or the deploy is new): beat checks it every minute."""
    if warm_mark.is_set():
        return None
    return catalog_warm()


def catalog_decay_popularity() -> dict[str, int]:
    """Halve every recorded count and trim the long tails (beat): popularity follows recent traffic."""
    return popularity_decay()


def catalog_prune_search_removals(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget removals every search index has long applied (they catch up within seconds)."""
    return SearchRemoval.objects.filter(created_at__lt=timezone.now() - older_than).delete()[0]
