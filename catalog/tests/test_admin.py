"""Staff edit products in the admin: change form, list-editable price/stock, bulk actions."""
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db


def test_admin_change_form_edits_a_product(staff_client, product, category):
    response = staff_client.post(
        f"/admin/catalog/product/{product.id}/change/",
        {
            "sku": product.sku, "name": "Renamed Kettle", "slug": product.slug, "description": "new text",
            "price": "12.50", "stock": "7", "category": category.id, "attributes": "{}", "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:500]
    product.refresh_from_db()
    assert (product.name, product.price, product.stock) == ("Renamed Kettle", Decimal("12.50"), 7)


def test_admin_list_edits_price_and_stock(staff_client, product):
    response = staff_client.post(
        "/admin/catalog/product/",
        {
            "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000", "form-0-id": str(product.id), "form-0-price": "99.99",
            "form-0-stock": "42", "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content[:500]
    product.refresh_from_db()
    assert (product.price, product.stock) == (Decimal("99.99"), 42)


def test_admin_action_deactivates_products(staff_client, make_product):
    products = [make_product(), make_product()]
    response = staff_client.post(
        "/admin/catalog/product/",
        {"action": "deactivate", "_selected_action": [p.id for p in products]},
    )
    assert response.status_code == 302
    for product in products:
        product.refresh_from_db()
        assert product.is_active is False


def test_admin_product_list_and_search_render(staff_client, product):
    assert staff_client.get("/admin/catalog/product/").status_code == 200
    response = staff_client.get("/admin/catalog/product/", {"q": product.sku})
    assert response.status_code == 200
    assert product.name.encode() in response.content
