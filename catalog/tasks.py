"""Celery tasks of the catalog: thin interfaces to its services."""
from celery import shared_task

from .search import search_catch_up
from .services import (
    catalog_decay_popularity,
    catalog_prune_search_removals,
    catalog_warm,
    catalog_warm_if_cold,
    catalog_warm_products,
)


@shared_task(name="catalog.warm_products")
def warm_products(limit: int | None = None) -> int:
    """Warm the product cache, most requested first (e.g. after a deploy that bumped the schema version)."""
    return catalog_warm_products(limit=limit)


@shared_task(name="catalog.warm_popular", ignore_result=True)
def warm_popular(only_missing: bool = True) -> dict:
    """Load what shoppers read most (busiest listings, frequent searches, most requested
    products); beat runs it every few minutes with `only_missing`, so a product the cache
    still holds costs one EXISTS, not a database read. Idempotent: a second run finds it all."""
    return catalog_warm(only_missing=only_missing)


@shared_task(name="catalog.decay_popularity", ignore_result=True)
def decay_popularity() -> dict:
    """Halve the recorded request counts and trim their tails (beat, hourly)."""
    return catalog_decay_popularity()


@shared_task(name="catalog.search_catch_up", ignore_result=True)
def search_catch_up_task() -> int | None:
    """Bring the search index up to date (beat, every few seconds: a process that changed the
    catalog and could not catch up itself, or crashed first, is never the only chance)."""
    return search_catch_up()


@shared_task(name="catalog.warm_if_cold", ignore_result=True)
def warm_if_cold() -> dict | None:
    """After a flush or a deploy: warm listings, popular searches and the first products."""
    return catalog_warm_if_cold()


@shared_task(name="catalog.prune_search_removals", ignore_result=True)
def prune_search_removals() -> int:
    return catalog_prune_search_removals()
