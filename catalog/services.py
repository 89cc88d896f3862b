"""Catalog writes and maintenance."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

import caching

from . import listings, payloads
from .models import Category, Product, SearchRemoval
from .popularity import top_searches, warm_mark
from .selectors import PRODUCT_ORDERINGS


def catalog_warm_products(*, limit: int | None = None, batch_size: int = 1000, rate: float = 0,
                          progress: Callable[[int], None] = lambda n: None) -> int:
    """Render active products in id order, in batches, into the cache (at most `rate` a second,
    0: no limit); returns how many were stored."""
    pace = _Pace(rate / batch_size if rate else 0)
    ids = Product.objects.filter(is_active=True, category__is_active=True).order_by("pk").values_list("pk", flat=True)
    if limit is not None:
        ids = ids[:limit]
    stored = 0
    batch: list[int] = []
    for product_id in ids.iterator(chunk_size=batch_size):
        batch.append(product_id)
        if len(batch) == batch_size:
            pace.wait()
            stored += caching.warm("product", batch, payloads.product_payloads)
            progress(len(batch))
            batch = []
    if batch:
        stored += caching.warm("product", batch, payloads.product_payloads)
        progress(len(batch))
    return stored


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


def _warm_page(params: dict, *, search: bool, pace: _Pace) -> None:
    if search:
        page = caching.fetch("search", params)
        ids = page.value["ids"]
    else:
        caching.get_or_load("listing_count", {k: params[k] for k in ("scope", "min_price", "max_price")})
        page = caching.fetch("listing_page", params)
        ids = page.value["ids"]
    if ids:
        caching.get_many("product_card", ids, payloads.product_cards)
    if page.status == caching.Status.MISS:
        pace.wait()


def catalog_warm_listings(*, pages: int = 2, rate: float = 50,
                          progress: Callable[[int], None] = lambda n: None) -> int:
    """The first `pages` pages of every category's listing (and the whole catalog's), in every
    order, with their cards: what a shop's first visitors after a flush would load."""
    categories = [(None, None), *Category.objects.filter(is_active=True).order_by("pk").values_list("pk", "slug")]
    pace, warmed = _Pace(rate), 0
    for category_id, slug in categories:
        if slug is not None:
            caching.get_or_load("category_slug", slug)  # how a listing's URL finds its category
        for ordering in ("", *PRODUCT_ORDERINGS):
            for page in range(1, pages + 1):
                params = listings.listing_params({"ordering": ordering, "page": page}, category_id=category_id)
                try:
                    _warm_page(params, search=False, pace=pace)
                except Exception:  # a page past the end (a small category): nothing to warm
                    break
                warmed += 1
        progress(1)
    return warmed


def catalog_warm_searches(*, limit: int = 200, rate: float = 50,
                          progress: Callable[[int], None] = lambda n: None) -> int:
    """The first page of the most requested searches (catalog.popularity), with their cards."""
    pace, warmed = _Pace(rate), 0
    for params in top_searches(limit):
        _warm_page(params, search=True, pace=pace)
        warmed += 1
        progress(1)
    return warmed


def catalog_warm(*, products: int | None = WARM_PRODUCTS, rate: float = 50,
                 product_rate: float = 5_000) -> dict[str, int]:
    """Warm what shoppers read first: the first product details (in id order: the catalog
    keeps no request counts yet), the first pages of every listing, the popular searches."""
    warmed = {"products": catalog_warm_products(limit=products, rate=product_rate),
              "listings": catalog_warm_listings(rate=rate), "searches": catalog_warm_searches(rate=rate)}
    warm_mark.set()
    return warmed


def catalog_warm_if_cold() -> dict[str, int] | None:
    """Warm when the cache has been flushed (or the deploy is new): beat checks it every minute."""
    if warm_mark.is_set():
        return None
    return catalog_warm()


def catalog_prune_search_removals(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget removals every search index has long applied (they catch up within seconds)."""
    return SearchRemoval.objects.filter(created_at__lt=timezone.now() - older_than).delete()[0]
