"""Catalog writes and maintenance."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

import caching

from . import payloads
from .models import Product, SearchRemoval


def catalog_warm_products(*, limit: int | None = None, batch_size: int = 1000,
                          progress: Callable[[int], None] = lambda n: None) -> int:
    """Render active products in id order, in batches, into the cache; returns how many were stored."""
    ids = Product.objects.filter(is_active=True, category__is_active=True).order_by("pk").values_list("pk", flat=True)
    if limit is not None:
        ids = ids[:limit]
    stored = 0
    batch: list[int] = []
    for product_id in ids.iterator(chunk_size=batch_size):
        batch.append(product_id)
        if len(batch) == batch_size:
            stored += caching.warm("product", batch, payloads.product_payloads)
            progress(len(batch))
            batch = []
    if batch:
        stored += caching.warm("product", batch, payloads.product_payloads)
        progress(len(batch))
    return stored


def catalog_prune_search_removals(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget removals every search index has long applied (they catch up within seconds)."""
    return SearchRemoval.objects.filter(created_at__lt=timezone.now() - older_than).delete()[0]
