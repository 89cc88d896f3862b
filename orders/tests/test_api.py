"""Checkout and order history."""
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalog.models import Product
from conftest import checkout
from orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


def _add(client, product_id, quantity=1):
    response = client.post("/api/v1/cart/items/", {"product_id": product_id, "quantity": quantity}, format="json")
    assert response.status_code == 201, response.content


def test_checkout_places_the_order_decrements_stock_and_empties_the_cart(user_client, product, make_product):
    other = make_product(price=Decimal("2.50"), stock=3)
    _add(user_client, product.id, 2)
    _add(user_client, other.id, 3)
    response = checkout(user_client)
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
    response = checkout(user_client, shipping_address=address)
    assert response.json()["shipping_address"]["city"] == "Lyon"


def test_checkout_of_an_empty_cart_is_400(user_client):
    response = checkout(user_client)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Your cart is empty."


def test_checkout_with_short_stock_is_409_and_changes_nothing(user_client, product):
    _add(user_client, product.id, 5)
    Product.objects.filter(pk=product.pk).update(stock=2)
    response = checkout(user_client)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["items"][0] == {
        "product_id": product.id, "reason": "insufficient_stock", "requested": 5, "available": 2
    }
    assert Product.objects.get(pk=product.pk).stock == 2
    assert Order.objects.count() == 0
    assert user_client.get("/api/v1/cart/").json()["items"][0]["quantity"] == 5


def test_checkout_rejects_a_bad_address(user_client, product):
    _add(user_client, product.id)
    response = checkout(user_client, shipping_address={"city": "x"})
    assert response.status_code == 400
    assert Order.objects.count() == 0


def test_orders_require_login(api_client):
    assert api_client.get("/api/v1/orders/").status_code == 403
    assert api_client.post("/api/v1/orders/", {}, format="json").status_code == 403


def test_order_history_and_detail_show_only_own_orders(user_client, make_user, product):
    _add(user_client, product.id)
    order_id = checkout(user_client).json()["id"]
    history = user_client.get("/api/v1/orders/")
    assert [o["id"] for o in history.json()["results"]] == [order_id]
    assert "no-store" in history["Cache-Control"]
    assert user_client.get(f"/api/v1/orders/{order_id}/").json()["id"] == order_id

    bob = APIClient()
    bob.force_login(make_user("bob"))
    assert bob.get("/api/v1/orders/").json()["results"] == []
    assert bob.get(f"/api/v1/orders/{order_id}/").status_code == 404
    assert user_client.get("/api/v1/orders/999999/").status_code == 404


def test_a_price_raised_between_cart_and_checkout_is_409_with_the_current_cart_never_charged(user_client, product):
    _add(user_client, product.id, 2)
    seen = user_client.get("/api/v1/cart/").json()
    assert seen["total"] == "79.80"
    Product.objects.filter(pk=product.pk).update(price=Decimal("399.00"))
    product.refresh_from_db()
    product.save()  # through the ORM, as the admin does: carts showing it are dropped from the cache

    refused = user_client.post("/api/v1/orders/", {"cart_version": seen["version"]}, format="json")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "price_changed"
    assert error["details"]["items"] == [{"product_id": product.id, "confirmed_unit_price": "39.90",
                                          "unit_price": "399.00"}]
    current = error["details"]["cart"]
    assert current["total"] == "798.00" and current["version"] > seen["version"]
    assert Order.objects.count() == 0 and Product.objects.get(pk=product.pk).stock == 5
    assert user_client.get("/api/v1/cart/").json() == current  # the cart shows the new price

    placed = user_client.post("/api/v1/orders/", {"cart_version": current["version"]}, format="json")
    assert placed.status_code == 201 and placed.json()["total"] == "798.00"


def test_the_cart_shows_current_prices_and_flags_a_change(user_client, product):
    _add(user_client, product.id)
    product.price = Decimal("45.00")
    product.save()
    line = user_client.get("/api/v1/cart/").json()["items"][0]
    assert line["unit_price"] == "45.00" and line["confirmed_unit_price"] == "39.90"


def test_a_checkout_naming_an_older_cart_version_is_409(user_client, product, make_product):
    _add(user_client, product.id)
    seen = user_client.get("/api/v1/cart/").json()["version"]
    _add(user_client, make_product().id)  # e.g. from another tab
    refused = user_client.post("/api/v1/orders/", {"cart_version": seen}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "cart_changed"
    assert len(refused.json()["error"]["details"]["cart"]["items"]) == 2
    assert Order.objects.count() == 0


def test_a_product_of_a_deactivated_category_in_the_cart_does_not_check_out(user_client, product, category):
    _add(user_client, product.id)
    category.is_active = False
    category.save()
    assert user_client.get("/api/v1/cart/").json()["items"][0]["available"] is False
    refused = checkout(user_client)
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["items"] == [{"product_id": product.id, "reason": "unavailable"}]
    assert Order.objects.count() == 0 and Product.objects.get(pk=product.pk).stock == 5


def test_a_checkout_without_the_cart_version_is_400(user_client, product):
    _add(user_client, product.id)
    response = user_client.post("/api/v1/orders/", {}, format="json")
    assert response.status_code == 400
    assert "cart_version" in response.json()["error"]["details"]
