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


def test_warming_loads_every_listing_order_and_the_popular_searches(api_client, make_product, category,
                                                                      django_assert_num_queries):
    from catalog.popularity import flush_counts, warm_mark
    from catalog.services import catalog_warm

    for n in range(3):
        make_product(name=f"Copper Kettle {n}")
    for _ in range(3):
        api_client.get("/api/v1/search/", {"q": "copper"})
    api_client.get("/api/v1/search/", {"q": "kettle", "ordering": "price"})
    flush_counts()
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
    """L2 and this process's L1 emptied, as a flush of the cache does. The request counts are
    in the store, which the cluster pass of `make test` puts on L2's cluster: they are kept."""
    from caching.handler import get_layer, redis_client
    from catalog.popularity import popularity_key

    client = redis_client()
    counts = {key: client.dump(key) for key in client.scan_iter(match=popularity_key("*"))}
    client.flushdb()
    for key, blob in counts.items():
        client.restore(key, 0, blob, replace=True)
    get_layer().l1.clear()


def _first_read(data_type: str, item_id) -> str:
    """Where a read finds the entry now (MISS: warming did not load it)."""
    return caching.fetch(data_type, item_id).status


def test_warming_loads_the_most_requested_products_not_the_others(api_client, make_product):
    from catalog.popularity import flush_counts

    products = [make_product() for _ in range(6)]
    requested = {products[4].id: 3, products[1].id: 2}
    for product_id, times in requested.items():
        for _ in range(times):
            api_client.get(f"/api/v1/products/{product_id}/")
    flush_counts()
    caching_flush()

    assert catalog_warm_products(limit=10, rate=0) == 2  # the requested ones, nothing padded
    for product in products:
        assert _first_read("product", product.id) == ("HIT-L2" if product.id in requested else "MISS")


def test_without_request_counts_warming_loads_the_most_ordered_products(make_product, user):
    from decimal import Decimal

    from orders.models import Order, OrderItem

    products = [make_product() for _ in range(5)]
    for product, orders in ((products[3], 3), (products[0], 2), (products[2], 1)):
        for _ in range(orders):
            order = Order.objects.create(user=user, item_count=1, total=Decimal("10.00"))
            OrderItem.objects.create(order=order, product=product, sku=product.sku, name=product.name, quantity=1,
                                     unit_price=product.price, line_total=product.price)
    caching_flush()

    assert catalog_warm_products(limit=2) == 2
    assert [_first_read("product", p.id) for p in products] == ["HIT-L2", "MISS", "MISS", "HIT-L2", "MISS"]


def test_warming_loads_the_busiest_listings_first_pages(api_client, make_product, category):
    from catalog.models import Category
    from catalog.popularity import flush_counts
    from catalog.services import catalog_warm_listings

    garden = Category.objects.create(name="Garden", slug="garden")
    for _ in range(3):
        make_product()
        make_product(category=garden)
    for _ in range(3):
        api_client.get(f"/api/v1/categories/{category.slug}/products/", {"ordering": "price", "page_size": 2})
    api_client.get("/api/v1/categories/garden/products/", {"ordering": "-name"})
    flush_counts()
    caching_flush()

    assert catalog_warm_listings(limit=1, pages=3, rate=0) == 2  # 3 products, 2 a page: pages 1 and 2
    with_page = {"ordering": "price", "page_size": 2}
    assert api_client.get(f"/api/v1/categories/{category.slug}/products/", with_page)["X-Cache"] == "HIT-L1"
    assert api_client.get(f"/api/v1/categories/{category.slug}/products/",
                          {**with_page, "page": 2})["X-Cache"] == "HIT-L1"
    assert api_client.get("/api/v1/categories/garden/products/", {"ordering": "-name"})["X-Cache"] == "MISS"


def test_the_periodic_warm_loads_only_what_is_missing(api_client, make_product):
    from catalog.popularity import flush_counts
    from catalog.tasks import warm_popular

    products = [make_product() for _ in range(3)]
    for product in products:
        api_client.get(f"/api/v1/products/{product.id}/")
    flush_counts()
    caching_flush()
    assert warm_popular.run()["products"] == 3
    caching.invalidate("product", products[0].id)
    assert warm_popular.run()["products"] == 1  # the others are still held: not read again
