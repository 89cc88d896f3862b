"""Cart writes from a visitor who has no session (so no cart) never reach anyone's cart.

A lookup by a missing session key would match every row whose key is NULL, that is
every user's cart: these requests must be answered without one.
"""
import pytest
from rest_framework.test import APIClient

from carts.models import Cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def users_cart(user_client, product) -> Cart:
    user_client.post("/api/v1/cart/items/", {"product_id": product.id, "quantity": 2}, format="json")
    return Cart.objects.get(user__isnull=False)


def _unchanged(cart: Cart) -> bool:
    fresh = Cart.objects.get(pk=cart.pk)
    return fresh.version == cart.version and list(fresh.items.values_list("quantity", flat=True)) == [2]


def test_clearing_without_a_session_is_a_no_op(users_cart):
    response = APIClient().delete("/api/v1/cart/")
    assert response.status_code == 204
    assert _unchanged(users_cart)


def test_changing_an_item_without_a_session_is_a_404(users_cart, product):
    response = APIClient().patch(f"/api/v1/cart/items/{product.id}/", {"quantity": 1}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert _unchanged(users_cart)


def test_removing_an_item_without_a_session_is_a_404(users_cart, product):
    response = APIClient().delete(f"/api/v1/cart/items/{product.id}/")
    assert response.status_code == 404
    assert _unchanged(users_cart)


def test_bad_input_without_a_session_is_still_a_400(users_cart, product):
    client = APIClient()
    assert client.patch(f"/api/v1/cart/items/{product.id}/", {"quantity": 0}, format="json").status_code == 400
    assert client.delete("/api/v1/cart/items/0/").status_code == 400
    assert _unchanged(users_cart)
