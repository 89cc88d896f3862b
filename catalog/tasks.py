"""Celery tasks of the catalog: thin interfaces to its services."""
from celery import shared_task

from .services import catalog_warm_products


@shared_task(name="catalog.warm_products")
def warm_products(limit: int | None = None) -> int:
    """Warm the product cache (e.g. after a deploy that bumped the schema version)."""
    return catalog_warm_products(limit=limit)
