"""Order history and orders through the cache: hits without queries, new orders and status
changes read back, users apart."""
import pytest
from rest_framework.test import APIClient

from conftest import SESSION_CHECK_QUERIES, checkout
from orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


def _order(client, product):
    client.post("/api/v1/cart/items/", {"product_id": product.id, "quantity": 1}, format="json")
    response = checkout(client)
    assert response.status_code == 201
    return response.json()["id"]


def test_history_hit_costs_only_the_session_check_and_a_new_order_shows(user_client, product,
                                                                       django_assert_num_queries):
    first = _order(user_client, product)
    user_client.get("/api/v1/orders/")
    with django_assert_num_queries(SESSION_CHECK_QUERIES):
        cached = user_client.get("/api/v1/orders/")
    assert cached["X-Cache"] == "HIT-L2" and cached["Cache-Control"] == "private, no-store"
    second = _order(user_client, product)
    assert [o["id"] for o in user_client.get("/api/v1/orders/").json()["results"]] == [second, first]


def test_a_status_change_reaches_the_order_and_the_history(user_client, product):
    order_id = _order(user_client, product)
    assert user_client.get(f"/api/v1/orders/{order_id}/").json()["status"] == "placed"
    user_client.get("/api/v1/orders/")
    order = Order.objects.get(pk=order_id)
    order.status = Order.Status.SHIPPED
    order.save()
    assert user_client.get(f"/api/v1/orders/{order_id}/").json()["status"] == "shipped"
    assert user_client.get("/api/v1/orders/").json()["results"][0]["status"] == "shipped"


def test_another_user_never_gets_an_order_through_the_cache(user_client, make_user, product):
    order_id = _order(user_client, product)
    user_client.get(f"/api/v1/orders/{order_id}/")  # cached for alice
    bob = APIClient()
    bob.force_login(make_user("bob"))
    for _ in range(2):
        assert bob.get(f"/api/v1/orders/{order_id}/").status_code == 404
        assert bob.get("/api/v1/orders/").json()["results"] == []
