"""Catalog endpoints: listings, filters, ordering, detail, categories and search."""
from decimal import Decimal

import pytest

from catalog.models import Category

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_product_list_is_paginated_and_shows_only_active_products(api_client, make_product):
    visible = [make_product() for _ in range(3)]
    make_product(is_active=False)
    response = api_client.get("/api/v1/products/", {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert _ids(response) == [visible[0].id, visible[1].id]
    assert body["next"] is not None
    second = api_client.get("/api/v1/products/", {"page_size": 2, "page": 2})
    assert _ids(second) == [visible[2].id]


def test_product_list_filters_by_category_including_subcategories(api_client, make_product, category):
    child = Category.objects.create(name="Kettles", slug="kettles", parent=category)
    other = Category.objects.create(name="Garden", slug="garden")
    in_parent = make_product(category=category)
    in_child = make_product(category=child)
    make_product(category=other)
    response = api_client.get("/api/v1/products/", {"category": "kitchen"})
    assert sorted(_ids(response)) == sorted([in_parent.id, in_child.id])


def test_product_list_filters_by_price_range_and_orders(api_client, make_product):
    cheap = make_product(price=Decimal("5.00"))
    mid = make_product(price=Decimal("15.00"))
    make_product(price=Decimal("50.00"))
    response = api_client.get("/api/v1/products/", {"min_price": "1", "max_price": "20", "ordering": "-price"})
    assert _ids(response) == [mid.id, cheap.id]


@pytest.mark.parametrize(
    "params",
    [
        {"min_price": "abc"},
        {"max_price": "-1"},
        {"min_price": "30", "max_price": "10"},
        {"ordering": "password"},
        {"category": "no-such-category"},
        {"page": "0"},
        {"page_size": "1000"},
    ],
)
def test_product_list_rejects_bad_query_values_with_json_400(api_client, make_product, params):
    make_product()
    response = api_client.get("/api/v1/products/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["status"] == 400


def test_product_list_page_past_the_end_is_404(api_client, make_product):
    make_product()
    response = api_client.get("/api/v1/products/", {"page": 99})
    assert response.status_code == 404
    assert "error" in response.json()


def test_product_detail_returns_the_product(api_client, product):
    response = api_client.get(f"/api/v1/products/{product.id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["sku"] == product.sku
    assert body["price"] == "39.90"
    assert body["stock"] == 5
    assert body["category"]["slug"] == "kitchen"


@pytest.mark.parametrize("path", ["/api/v1/products/999999/", "/api/v1/products/abc/"])
def test_unknown_product_is_json_404(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_inactive_product_or_category_is_404(api_client, make_product, category):
    hidden = make_product(is_active=False)
    assert api_client.get(f"/api/v1/products/{hidden.id}/").status_code == 404
    visible = make_product()
    Category.objects.filter(pk=category.pk).update(is_active=False)
    assert api_client.get(f"/api/v1/products/{visible.id}/").status_code == 404


def test_categories_list_and_category_products(api_client, make_product, category):
    Category.objects.create(name="Hidden", slug="hidden", is_active=False)
    product = make_product()
    categories = api_client.get("/api/v1/categories/").json()
    assert [c["slug"] for c in categories] == ["kitchen"]
    response = api_client.get("/api/v1/categories/kitchen/products/")
    assert response.status_code == 200
    assert _ids(response) == [product.id]


def test_category_products_unknown_slug_is_404(api_client, db):
    response = api_client.get("/api/v1/categories/nope/products/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db(transaction=True)  # FULLTEXT sees only committed rows
def test_search_matches_name_description_and_sku(api_client, make_product):
    kettle = make_product(name="Copper Kettle", description="Boils water fast")
    make_product(name="Garden Hose", description="Green and long")
    teapot = make_product(name="Teapot", description="Pairs well with a kettle")
    by_sku = make_product(name="Mystery", sku="ZX-99881")
    response = api_client.get("/api/v1/search/", {"q": "  KETTLE "})
    assert response.status_code == 200
    assert sorted(_ids(response)) == sorted([kettle.id, teapot.id])
    assert _ids(api_client.get("/api/v1/search/", {"q": "99881"})) == [by_sku.id]


@pytest.mark.django_db(transaction=True)
def test_search_applies_price_filter_and_ordering(api_client, make_product):
    cheap = make_product(name="Steel Kettle", price=Decimal("10.00"))
    dear = make_product(name="Gold Kettle", price=Decimal("90.00"))
    make_product(name="Silver Kettle", price=Decimal("500.00"))
    response = api_client.get("/api/v1/search/", {"q": "kettle", "max_price": "100", "ordering": "-price"})
    assert _ids(response) == [dear.id, cheap.id]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 201}, {"q": "kettle", "min_price": "cheap"}])
def test_search_rejects_missing_or_bad_parameters(api_client, db, params):
    response = api_client.get("/api/v1/search/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.django_db
def test_a_listing_counts_and_pages_up_to_the_cap(api_client, make_product, monkeypatch):
    from catalog import selectors

    monkeypatch.setattr(selectors, "LISTING_COUNT_CAP", 2)  # 10,000 in the shop
    for _ in range(3):
        make_product()
    body = api_client.get("/api/v1/products/", {"page_size": 1}).json()
    assert body["count"] == 2 and body["count_is_exact"] is False
    assert api_client.get("/api/v1/products/", {"page_size": 1, "page": 2}).json()["next"] is None
    assert api_client.get("/api/v1/products/", {"page_size": 1, "page": 3}).status_code == 404
    assert api_client.get("/api/v1/products/", {"page_size": 5}).json()["count_is_exact"] is False
