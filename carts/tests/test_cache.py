"""Carts are written through: the next read, in any process, sees the write; users stay apart."""
import pytest
from django.db import connection
from rest_framework.test import APIClient

import caching
from caching.handler import get_layer
from carts.cache import cart_cache_id
from carts.selectors import CartOwner
from conftest import SESSION_CHECK_QUERIES, checkout

pytestmark = pytest.mark.django_db(transaction=True)


def _add(client, product_id, quantity=1):
    response = client.post("/api/v1/cart/items/", {"product_id": product_id, "quantity": quantity}, format="json")
    assert response.status_code == 201, response.content
    return response


def test_a_cart_write_is_in_the_cache_before_the_next_read(user_client, user, product, django_assert_num_queries):
    _add(user_client, product.id, 2)
    with django_assert_num_queries(SESSION_CHECK_QUERIES):
        response = user_client.get("/api/v1/cart/")
    assert response["X-Cache"] == "HIT-L2"  # written through by the POST, not loaded by this read
    assert response.json()["items"][0]["quantity"] == 2
    assert response["Cache-Control"] == "private, no-store"
    assert "Cookie" in response["Vary"]


def test_every_cart_write_path_is_read_back(user_client, product, make_product):
    other = make_product()
    _add(user_client, product.id)
    _add(user_client, other.id)
    user_client.patch(f"/api/v1/cart/items/{product.id}/", {"quantity": 3}, format="json")
    assert {i["product_id"]: i["quantity"] for i in user_client.get("/api/v1/cart/").json()["items"]} == {
        product.id: 3, other.id: 1}
    user_client.delete(f"/api/v1/cart/items/{other.id}/")
    assert [i["product_id"] for i in user_client.get("/api/v1/cart/").json()["items"]] == [product.id]
    checkout(user_client)
    body = user_client.get("/api/v1/cart/").json()
    assert body["items"] == [] and body["version"] == 5


def test_an_older_snapshot_never_replaces_a_newer_one(user, product):
    owner = CartOwner(user_id=user.id)
    layer = get_layer()
    assert layer.put("cart", cart_cache_id(owner), lambda: {"version": 7, "items": []})
    assert not layer.put("cart", cart_cache_id(owner), lambda: {"version": 6, "items": []})
    assert caching.get_or_load("cart", cart_cache_id(owner), lambda: {"version": 0})["version"] == 7


def test_two_users_and_an_anonymous_visitor_never_see_each_others_cart(make_user, product, make_product):
    alice, bob, anonymous = APIClient(), APIClient(), APIClient()
    alice.force_login(make_user("alice"))
    bob.force_login(make_user("bob"))
    other = make_product()
    _add(alice, product.id, 2)
    _add(bob, other.id, 1)
    _add(anonymous, other.id, 3)
    for _ in range(2):  # second round from the cache
        assert [(i["product_id"], i["quantity"]) for i in alice.get("/api/v1/cart/").json()["items"]] == [
            (product.id, 2)]
        assert [(i["product_id"], i["quantity"]) for i in bob.get("/api/v1/cart/").json()["items"]] == [(other.id, 1)]
        assert [(i["product_id"], i["quantity"]) for i in anonymous.get("/api/v1/cart/").json()["items"]] == [
            (other.id, 3)]


def test_the_session_key_never_appears_in_a_redis_key(api_client, product):
    _add(api_client, product.id)
    session_key = api_client.cookies["sessionid"].value
    redis = get_layer().tier.client
    assert all(session_key not in key.decode() for key in redis.keys("*"))
    assert connection.vendor == "mysql"


def test_a_cart_write_while_redis_is_down_succeeds_and_leaves_no_stale_snapshot(private_redis, user, product,
                                                                                 make_product):
    from caching.models import PendingInvalidation

    client = APIClient()
    client.force_login(user)
    layer = get_layer()
    layer.bus.ensure_started()
    assert layer.bus.connected.wait(5)
    other = make_product()
    _add(client, product.id)
    assert client.get("/api/v1/cart/")["X-Cache"] == "HIT-L2"
    private_redis.stop(save=True)  # the snapshot of version 1 survives in dump.rdb
    _add(client, other.id)  # the write succeeds; its snapshot cannot reach Redis
    assert PendingInvalidation.objects.count() == 1
    private_redis.start()
    import time

    time.sleep(0.4)  # the breaker's reset time
    body = client.get("/api/v1/cart/").json()
    assert body["version"] == 2 and len(body["items"]) == 2
