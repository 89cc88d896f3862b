"""Prefetch after a product view: the category's first page, loaded in the background when on."""
import time

import pytest

from catalog import prefetch

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_product_view_prefetches_its_categorys_first_page_when_on(api_client, make_product, category,
                                                                      monkeypatch):
    product = make_product()
    monkeypatch.setattr(prefetch.prefetcher, "enabled", True)
    assert api_client.get(f"/api/v1/products/{product.id}/").status_code == 200
    wait_until(lambda: prefetch.prefetcher.queue.unfinished_tasks == 0)
    response = api_client.get(f"/api/v1/categories/{category.slug}/products/")
    assert response["X-Cache"].startswith("HIT-")


def test_prefetch_is_off_by_default_and_skips_a_category_just_prefetched(api_client, product, category):
    assert not prefetch.CategoryPagePrefetcher().enabled
    api_client.get(f"/api/v1/products/{product.id}/")
    assert api_client.get(f"/api/v1/categories/{category.slug}/products/")["X-Cache"] == "MISS"

    prefetcher = prefetch.CategoryPagePrefetcher(enabled=True)
    body = api_client.get(f"/api/v1/products/{product.id}/").content
    assert prefetcher.prefetch(body) is True
    assert prefetcher.prefetch(body) is False  # within recent_seconds: its page is in L1
