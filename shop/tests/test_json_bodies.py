"""Request bodies are taken at their JSON types, as the schema documents them: a value of
another type is a 400 naming the field, never coerced (DRF would take "2" for 2, 7 for "7"
and 0 for false)."""
import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("payload, field", [
    ({"product_id": "1", "quantity": 1}, "product_id"),
    ({"product_id": 1, "quantity": "2"}, "quantity"),
    ({"product_id": 1, "quantity": 2.0}, "quantity"),
    ({"product_id": True, "quantity": 1}, "product_id"),
])
def test_cart_numbers_must_be_json_integers(user_client, product, payload, field):
    payload = {**payload, "product_id": product.id} if field != "product_id" else payload
    response = user_client.post("/api/v1/cart/items/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


@pytest.mark.parametrize("payload, path", [
    ({"display_name": 7}, ["display_name"]),
    ({"preferences": {"newsletter": 0}}, ["preferences", "newsletter"]),
    ({"preferences": {"newsletter": "yes"}}, ["preferences", "newsletter"]),
    ({"preferences": {"currency": 1}}, ["preferences", "currency"]),
    ({"addresses": [{"name": "A", "line1": "B", "city": "C", "postal_code": 75001, "country": "FR"}]},
     ["addresses", 0, "postal_code"]),
])
def test_profile_values_must_have_their_json_types(user_client, payload, path):
    response = user_client.patch("/api/v1/profile/", payload, format="json")
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    for key in path:
        details = details[str(key)] if isinstance(details, dict) else details[key]
    assert details


def test_values_of_the_right_type_still_work(user_client, product):
    assert user_client.post("/api/v1/cart/items/", {"product_id": product.id, "quantity": 2},
                            format="json").status_code == 201
    response = user_client.patch("/api/v1/profile/", {"display_name": "Al", "preferences": {"newsletter": False}},
                                 format="json")
    assert response.status_code == 200
    assert response.json()["preferences"]["newsletter"] is False


def test_login_fields_must_be_strings(api_client):
    response = api_client.post("/api/v1/auth/login/", {"username": 12345, "password": "x"}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()["error"]["details"]
