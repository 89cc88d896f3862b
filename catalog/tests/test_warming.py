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
