"""Checkout and order history."""
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalog.models import Product
from orders.models import Order

pytestmark = pytest.mark.django_db


def _add(client, product_id, quantity=1):
    response = client.post("/api/v1/cart/items/", {"product_id": product_id, "quantity": quantity}, format="json")
    assert response.status_code == 201, response.content


def test_checkout_places_the_order_decrements_stock_and_empties_the_cart(user_client, product, make_product):
    other = make_product(price=Decimal("2.50"), stock=3)
    _add(user_client, product.id, 2)
    _add(user_client, other.id, 3)
    response = user_client.post("/api/v1/orders/", {}, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "placed"
    assert order["item_count"] == 5
    assert order["total"] == "87.30"
    assert {line["sku"]: line["quantity"] for line in order["items"]} == {product.sku: 2, other.sku: 3}
    assert Product.objects.get(pk=product.pk).stock == 3
    assert Product.objects.get(pk=other.pk).stock == 0
    assert user_client.get("/api/v1/cart/").json()["items"] == []


def test_checkout_uses_given_shipping_address(user_client, product):
    _add(user_client, product.id)
    address = {"name": "A", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"}
    response = user_client.post("/api/v1/orders/", {"shipping_address": address}, format="json")
    assert response.json()["shipping_address"]["city"] == "Lyon"


def test_checkout_of_an_empty_cart_is_400(user_client):
    response = user_client.post("/api/v1/orders/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Your cart is empty."


def test_checkout_with_short_stock_is_409_and_changes_nothing(user_client, product):
    _add(user_client, product.id, 5)
    Product.objects.filter(pk=product.pk).update(stock=2)
    response = user_client.post("/api/v1/orders/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["details"][0] == {
        "product_id": product.id, "reason": "insufficient_stock", "requested": 5, "available": 2
    }
    assert Product.objects.get(pk=product.pk).stock == 2
    assert Order.objects.count() == 0
    assert user_client.get("/api/v1/cart/").json()["items"][0]["quantity"] == 5


def test_checkout_rejects_a_bad_address(user_client, product):
    _add(user_client, product.id)
    response = user_client.post("/api/v1/orders/", {"shipping_address": {"city": "x"}}, format="json")
    assert response.status_code == 400
    assert Order.objects.count() == 0


def test_orders_require_login(api_client):
    assert api_client.get("/api/v1/orders/").status_code == 403
    assert api_client.post("/api/v1/orders/", {}, format="json").status_code == 403


def test_order_history_and_detail_show_only_own_orders(user_client, make_user, product):
    _add(user_client, product.id)
    order_id = user_client.post("/api/v1/orders/", {}, format="json").json()["id"]
    history = user_client.get("/api/v1/orders/")
    assert [o["id"] for o in history.json()["results"]] == [order_id]
    assert "no-store" in history["Cache-Control"]
    assert user_client.get(f"/api/v1/orders/{order_id}/").json()["id"] == order_id

    bob = APIClient()
    bob.force_login(make_user("bob"))
    assert bob.get("/api/v1/orders/").json()["results"] == []
    assert bob.get(f"/api/v1/orders/{order_id}/").status_code == 404
    assert user_client.get("/api/v1/orders/999999/").status_code == 404
