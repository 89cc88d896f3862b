"""Cache warming: products stored in batches, then served as hits; fenced against concurrent writes."""
from io import StringIO

import pytest
from django.core.management import call_command

import caching
from catalog import payloads
from catalog.services import catalog_warm_products
from catalog.tasks import warm_products

pytestmark = pytest.mark.django_db(transaction=True)


def test_warm_cache_command_stores_products_that_are_then_hits(api_client, make_product,
                                                               django_assert_num_queries):
    products = [make_product() for _ in range(5)]
    hidden = make_product(is_active=False)
    out, err = StringIO(), StringIO()
    call_command("warm_cache", batch_size=2, stdout=out, stderr=err)
    assert "5 products stored" in out.getvalue()
    assert "5/5" in err.getvalue()
    with django_assert_num_queries(0):
        for product in products:
            assert api_client.get(f"/api/v1/products/{product.id}/")["X-Cache"].startswith("HIT-")
    assert caching.fetch("product", hidden.id).status == "MISS"  # inactive: not warmed


def test_warming_does_not_store_a_product_invalidated_while_it_was_loading(make_product):
    product = make_product(name="Before")

    def load_then_a_write_commits(ids):
        values = payloads.product_payloads(ids)  # the database read...
        product.name = "After"
        product.save()  # ...then a writer commits and invalidates
        return values

    assert caching.warm("product", [product.id], load_then_a_write_commits) == 0
    assert b"After" in caching.get_or_load("product", product.id)


def test_warm_task_and_limit(make_product):
    for _ in range(3):
        make_product()
    assert catalog_warm_products(limit=2) == 2
    assert warm_products.run(limit=None) == 3


def test_warming_loads_every_listing_order_and_the_popular_searches(api_client, make_product, category, settings,
                                                                      django_assert_num_queries):
    from catalog.popularity import warm_mark
    from catalog.services import catalog_warm

    for n in range(3):
        make_product(name=f"Copper Kettle {n}")
    settings.POPULARITY_SAMPLE = 1.0  # count every search here
    for _ in range(3):
        api_client.get("/api/v1/search/", {"q": "copper"})
    api_client.get("/api/v1/search/", {"q": "kettle", "ordering": "price"})
    caching_flush()
    assert not warm_mark.is_set()

    warmed = catalog_warm(rate=0, product_rate=0)
    assert warmed["listings"] >= 2 * 9 and warmed["searches"] == 2
    with django_assert_num_queries(0):  # every order of every listing, the searches, their cards
        for ordering in ("", "price", "-price", "name", "-name", "created_at", "-created_at", "id", "-id"):
            for url in ("/api/v1/products/", f"/api/v1/categories/{category.slug}/products/"):
                assert api_client.get(url, {"ordering": ordering} if ordering else {})["X-Cache"].startswith("HIT")
        assert api_client.get("/api/v1/search/", {"q": "copper"})["X-Cache"].startswith("HIT")
        assert api_client.get("/api/v1/search/", {"q": "kettle", "ordering": "price"})["X-Cache"].startswith("HIT")
    assert warm_mark.is_set()


def test_warm_if_cold_runs_after_a_flush_only(make_product):
    from catalog.services import catalog_warm_if_cold

    make_product()
    assert catalog_warm_if_cold() is not None
    assert catalog_warm_if_cold() is None  # still warm
    caching_flush()
    assert catalog_warm_if_cold() is not None


def caching_flush():
    from django_redis import get_redis_connection

    from caching.handler import get_layer

    get_redis_connection("default").flushdb()
    get_layer().l1.clear()
