"""Integers a client sends are bounded: out of range is a 400 with the JSON error shape, never a 500."""
import pytest

from conftest import checkout

pytestmark = pytest.mark.django_db

HUGE = 2**70


@pytest.mark.parametrize("url", [
    f"/api/v1/products/?page={HUGE}", f"/api/v1/products/?page_size={HUGE}",
    "/api/v1/categories/kitchen/products/?page=18446744073709551616", f"/api/v1/search/?q=kettle&page={HUGE}",
    f"/api/v1/orders/?page={HUGE}", f"/api/v1/products/{HUGE}/", f"/api/v1/orders/{HUGE}/",
    "/api/v1/products/0/",
])
def test_an_integer_out_of_range_in_a_query_or_path_is_400(user_client, category, url):
    response = user_client.get(url)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"


def test_out_of_range_ids_in_cart_writes_are_400_and_change_nothing(user_client, product):
    assert user_client.post("/api/v1/cart/items/", {"product_id": HUGE}, format="json").status_code == 400
    assert user_client.patch(f"/api/v1/cart/items/{HUGE}/", {"quantity": 1}, format="json").status_code == 400
    assert user_client.delete(f"/api/v1/cart/items/{HUGE}/").status_code == 400
    assert checkout(user_client).status_code == 400  # still empty
    response = user_client.post("/api/v1/orders/", {"cart_version": HUGE}, format="json")
    assert response.status_code == 400
