"""Login, logout, the session endpoint and the anonymous cart merge."""
import pytest
from rest_framework.test import APIClient

from carts.models import Cart
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/login/", {"username": username, "password": password}, format="json")


def test_login_starts_a_session_that_the_session_endpoint_shows(api_client, user):
    response = _login(api_client, "alice")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "alice"
    session = api_client.get("/api/v1/session/").json()
    assert session["authenticated"] is True
    assert session["user"]["id"] == user.id
    assert session["expires_at"] is not None


def test_anonymous_session_endpoint(api_client):
    body = api_client.get("/api/v1/session/").json()
    assert body["authenticated"] is False and body["user"] is None
    assert body["csrf_token"]


@pytest.mark.parametrize(
    "payload", [{"username": "alice", "password": "wrong"}, {"username": "nobody", "password": "x"}]
)
def test_login_with_bad_credentials_is_400(api_client, user, payload):
    response = api_client.post("/api/v1/auth/login/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid username or password."
    assert api_client.get("/api/v1/session/").json()["authenticated"] is False


@pytest.mark.parametrize("payload", [{}, {"username": "alice"}, {"username": "a" * 200, "password": "x"}])
def test_login_with_missing_fields_is_400(api_client, payload):
    response = api_client.post("/api/v1/auth/login/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_logout_ends_the_session(api_client, user):
    _login(api_client, "alice")
    assert api_client.post("/api/v1/auth/logout/").status_code == 204
    assert api_client.get("/api/v1/session/").json()["authenticated"] is False


def test_anonymous_cart_merges_into_the_users_cart_on_login(api_client, make_user, product, make_product):
    user = make_user("alice")
    other = make_product()
    # The user already has one of `product` in their cart from another device.
    device = APIClient()
    device.force_login(user)
    device.post("/api/v1/cart/items/", {"product_id": product.id, "quantity": 1}, format="json")

    api_client.post("/api/v1/cart/items/", {"product_id": product.id, "quantity": 2}, format="json")
    api_client.post("/api/v1/cart/items/", {"product_id": other.id, "quantity": 1}, format="json")
    assert _login(api_client, "alice").status_code == 200

    cart = api_client.get("/api/v1/cart/").json()
    quantities = {item["product_id"]: item["quantity"] for item in cart["items"]}
    assert quantities == {product.id: 3, other.id: 1}
    assert Cart.objects.filter(user__isnull=True).count() == 0
    assert device.get("/api/v1/cart/").json()["items"] == cart["items"]
