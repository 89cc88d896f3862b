"""A change invalidates the entries whose content it changes, and no others."""
from decimal import Decimal

import pytest
from django.db import transaction

from caching.handler import redis_client
from caching.keys import generation_key
from caching.tests.concurrency import wait_for
from catalog.models import Category
from catalog.search_index import SearchQuery, search_index
from conftest import checkout

pytestmark = pytest.mark.django_db(transaction=True)


def _generations(*namespaces) -> dict:
    redis = redis_client()  # L2, standalone or Cluster
    return {ns: redis.get(generation_key("shop", ns)) for ns in namespaces}


def _scopes(product):
    return ["all", f"d{product.department_id}"] + ([f"c{product.category_id}"] if product.category.parent_id else [])


def _namespaces(product):
    return [f"listing:{scope}{group}" for scope in _scopes(product) for group in ("", ":price", ":name")] + [
        "search", "search:price"]


def _save(product, **fields):
    with transaction.atomic():
        for name, value in fields.items():
            setattr(product, name, value)
        product.save()


@pytest.fixture
def listed(api_client, make_product, category):
    """A product whose listings (every order) and search are cached."""
    subcategory = Category.objects.create(name="Kettles", slug="kettles", parent=category)
    product = make_product(name="Copper Kettle", price=Decimal("39.90"), stock=5, category=subcategory)
    make_product(name="Steel Kettle", price=Decimal("20.00"), category=subcategory)
    for ordering in ("price", "name", "-created_at"):
        for url in ("/api/v1/products/", "/api/v1/categories/kettles/products/",
                    "/api/v1/categories/kitchen/products/"):
            api_client.get(url, {"ordering": ordering})
    api_client.get("/api/v1/search/", {"q": "kettle"})
    return product


def test_a_checkout_invalidates_no_listing_and_no_search(user_client, listed):
    before = _generations(*_namespaces(listed))
    user_client.post("/api/v1/cart/items/", {"product_id": listed.id, "quantity": 5}, format="json")
    assert checkout(user_client).status_code == 201  # stock 5 -> 0
    assert _generations(*_namespaces(listed)) == before
    # Its card follows the stock all the same: it comes from the product entry.
    body = user_client.get("/api/v1/categories/kettles/products/", {"ordering": "name"})
    assert body["X-Cache"].startswith("HIT")
    card = next(p for p in body.json()["results"] if p["id"] == listed.id)
    assert card["in_stock"] is False


def test_a_price_edit_bumps_only_the_price_orders_and_leaves_name_orders_cached(api_client, listed):
    before = _generations(*_namespaces(listed))
    _save(listed, price=Decimal("9.90"))
    after = _generations(*_namespaces(listed))
    changed = {ns for ns in before if before[ns] != after[ns]}
    assert changed == {f"listing:{scope}:price" for scope in _scopes(listed)} | {"search:price"}
    by_name = api_client.get("/api/v1/categories/kettles/products/", {"ordering": "name"})
    assert by_name["X-Cache"].startswith("HIT")
    assert [p["price"] for p in by_name.json()["results"]] == ["9.90", "20.00"]  # fresh cards in a cached order


def test_a_price_edit_serves_the_old_price_order_stale_then_the_new_one(api_client, listed):
    _save(listed, price=Decimal("29.00"))  # still above the other one: same order
    _save(listed, price=Decimal("9.90"))  # now first by price
    first = api_client.get("/api/v1/categories/kettles/products/", {"ordering": "price"})
    assert first["X-Cache"] == "STALE"  # no request waits for the rebuild
    # ... and no shared cache keeps it: the CDN asks again, and gets the new order.
    assert first["Cache-Control"] == "public, max-age=0, s-maxage=0"
    assert wait_for(lambda: api_client.get("/api/v1/categories/kettles/products/", {"ordering": "price"})
                    .json()["results"][0]["id"] == listed.id)
    fresh = api_client.get("/api/v1/categories/kettles/products/", {"ordering": "price"})
    assert fresh["Cache-Control"] == "public, max-age=60, s-maxage=300"


def test_a_rename_bumps_the_name_orders_and_the_search_once_the_index_has_it(listed):
    before = _generations(*_namespaces(listed))
    _save(listed, name="Copper Teapot")
    after = _generations(*_namespaces(listed))
    changed = {ns for ns in before if before[ns] != after[ns]}
    assert changed == {f"listing:{scope}:name" for scope in _scopes(listed)} | {"search"}
    ids, _ = search_index().search(SearchQuery(terms=["teapot"]), offset=0, limit=10)
    assert ids == [listed.id]


def test_a_stock_change_touches_neither_listings_nor_search(listed):
    before = _generations(*_namespaces(listed))
    _save(listed, stock=1)
    assert _generations(*_namespaces(listed)) == before


def test_a_category_move_changes_the_membership_of_the_old_and_new_scopes(listed, category):
    garden = Category.objects.create(name="Garden", slug="garden")
    before = _generations("listing:all", f"listing:c{listed.category_id}", f"listing:d{category.id}",
                          f"listing:d{garden.id}")
    _save(listed, category=garden)
    after = _generations(*before)
    assert all(after[ns] != before[ns] for ns in before)
    assert listed.department_id == garden.id
