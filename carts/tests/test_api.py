"""Cart endpoints: anonymous and user carts, every write and every bad input."""
import pytest
from rest_framework.test import APIClient

from carts.models import Cart

pytestmark = pytest.mark.django_db


def _add(client, product_id, quantity=1):
    return client.post("/api/v1/cart/items/", {"product_id": product_id, "quantity": quantity}, format="json")


def test_empty_cart_without_session_creates_nothing(api_client):
    response = api_client.get("/api/v1/cart/")
    assert response.status_code == 200
    assert response.json() == {"id": None, "version": 0, "items": [], "item_count": 0, "total": "0.00",
                               "price_changed": False}
    assert Cart.objects.count() == 0


def test_anonymous_add_creates_a_session_cart_that_the_next_read_shows(api_client, product):
    response = _add(api_client, product.id, 2)
    assert response.status_code == 201
    assert "sessionid" in response.cookies
    body = api_client.get("/api/v1/cart/").json()
    assert body["items"][0]["product_id"] == product.id
    assert body["items"][0]["quantity"] == 2
    assert body["total"] == "79.80"
    assert body["version"] == 1


def test_every_write_increments_the_version(user_client, product):
    assert _add(user_client, product.id).json()["version"] == 1
    assert _add(user_client, product.id).json()["items"][0]["quantity"] == 2
    patched = user_client.patch(f"/api/v1/cart/items/{product.id}/", {"quantity": 4}, format="json")
    assert patched.status_code == 200
    assert patched.json()["version"] == 3
    assert patched.json()["items"][0]["quantity"] == 4
    assert user_client.delete(f"/api/v1/cart/items/{product.id}/").status_code == 204
    assert user_client.get("/api/v1/cart/").json()["version"] == 4


def test_clearing_the_cart_empties_it(user_client, product):
    _add(user_client, product.id)
    assert user_client.delete("/api/v1/cart/").status_code == 204
    body = user_client.get("/api/v1/cart/").json()
    assert body["items"] == [] and body["version"] == 2


@pytest.mark.parametrize(
    "payload",
    [
        {"product_id": 1, "quantity": 0},
        {"product_id": 1, "quantity": -3},
        {"product_id": 1, "quantity": 100},
        {"product_id": 1, "quantity": "many"},
        {"product_id": "abc"},
        {"quantity": 1},
    ],
)
def test_add_rejects_bad_input_and_changes_nothing(user_client, product, payload):
    if payload.get("product_id") == 1:
        payload = {**payload, "product_id": product.id}
    response = user_client.post("/api/v1/cart/items/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert Cart.objects.count() == 0


def test_add_unknown_or_inactive_product_is_400(user_client, make_product):
    hidden = make_product(is_active=False)
    for product_id in (999_999, hidden.id):
        response = _add(user_client, product_id)
        assert response.status_code == 400
        assert "product_id" in response.json()["error"]["details"]


def test_add_more_than_stock_is_409_and_changes_nothing(user_client, product):
    _add(user_client, product.id, 5)
    response = _add(user_client, product.id, 1)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["available"] == 5
    assert user_client.get("/api/v1/cart/").json()["items"][0]["quantity"] == 5


def test_patch_or_delete_an_item_not_in_the_cart_is_404(user_client, product):
    assert user_client.patch(f"/api/v1/cart/items/{product.id}/", {"quantity": 1}, format="json").status_code == 404
    assert user_client.delete(f"/api/v1/cart/items/{product.id}/").status_code == 404


def test_patch_rejects_bad_quantity(user_client, product):
    _add(user_client, product.id)
    for quantity in (0, 100, "x", None):
        response = user_client.patch(f"/api/v1/cart/items/{product.id}/", {"quantity": quantity}, format="json")
        assert response.status_code == 400
    assert user_client.get("/api/v1/cart/").json()["items"][0]["quantity"] == 1


def test_malformed_json_is_400(user_client):
    response = user_client.post("/api/v1/cart/items/", data=b'{"product_id": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_oversized_body_is_413(user_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1024
    body = b'{"product_id": 1, "pad": "' + b"x" * 2000 + b'"}'
    response = user_client.post("/api/v1/cart/items/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_unsupported_media_type_is_415(user_client, product):
    response = user_client.post("/api/v1/cart/items/", data="product_id=1", content_type="text/plain")
    assert response.status_code == 415
    assert "error" in response.json()


def test_unsafe_request_without_csrf_token_is_403(product):
    client = APIClient(enforce_csrf_checks=True)
    response = _add(client, product.id)
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    token = client.get("/api/v1/session/").json()["csrf_token"]
    response = client.post(
        "/api/v1/cart/items/", {"product_id": product.id}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


def test_two_users_carts_stay_apart(make_user, product, make_product):
    alice, bob = APIClient(), APIClient()
    alice.force_login(make_user("alice"))
    bob.force_login(make_user("bob"))
    other = make_product()
    _add(alice, product.id, 2)
    _add(bob, other.id, 1)
    assert [i["product_id"] for i in alice.get("/api/v1/cart/").json()["items"]] == [product.id]
    assert [i["product_id"] for i in bob.get("/api/v1/cart/").json()["items"]] == [other.id]


def test_cart_responses_are_private_and_not_stored(user_client, product):
    response = user_client.get("/api/v1/cart/")
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
