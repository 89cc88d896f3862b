"""An e-commerce day for Locust: browse, search, log in, fill and change a cart, check out.

    make loadtest        (headless; CSV and HTML reports in bench/out/)
"""
import os
import random

from locust import HttpUser, between, task

PRODUCTS = int(os.environ.get("LOADTEST_PRODUCTS", "10000"))
USERS = int(os.environ.get("LOADTEST_USERS", "50"))
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "")
WORDS = ["kettle", "chair", "lamp", "wireless", "steel", "leather", "camera", "bottle", "portable", "guitar"]


def popular_product() -> int:
    """Most visits go to a few products (Zipf-like)."""
    return min(PRODUCTS, int(PRODUCTS ** random.random()))


class Shopper(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self):
        self.client.get("/api/v1/session/", name="session")

    def unsafe(self, method: str, path: str, name: str, json=None, ok=(200, 201, 204)):
        headers = {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}
        with self.client.request(method, path, json=json, headers=headers, name=name, catch_response=True) as r:
            if r.status_code in ok:
                r.success()
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")
            return r

    @task(8)
    def browse_product(self):
        self.client.get(f"/api/v1/products/{popular_product()}/", name="product detail")

    @task(3)
    def browse_listing(self):
        self.client.get("/api/v1/categories/", name="categories")
        self.client.get(f"/api/v1/products/?page={random.randint(1, 20)}&ordering=-price", name="product list")

    @task(3)
    def search(self):
        self.client.get(f"/api/v1/search/?q={random.choice(WORDS)}", name="search")

    @task(3)
    def fill_and_change_cart(self):
        product_id = popular_product()
        # 409 (not enough stock) is a correct answer for a busy shop.
        self.unsafe("POST", "/api/v1/cart/items/", "cart add", {"product_id": product_id, "quantity": 1},
                    ok=(201, 400, 409))
        self.client.get("/api/v1/cart/", name="cart")
        self.unsafe("PATCH", f"/api/v1/cart/items/{product_id}/", "cart change", {"quantity": 2},
                    ok=(200, 404, 409))

    @task(1)
    def log_in_and_check_out(self):
        if not PASSWORD:
            return
        username = f"loadtest-{random.randint(1, USERS)}"
        self.unsafe("POST", "/api/v1/auth/login/", "login", {"username": username, "password": PASSWORD})
        self.unsafe("POST", "/api/v1/cart/items/", "cart add", {"product_id": popular_product(), "quantity": 1},
                    ok=(201, 400, 409))
        version = self.client.get("/api/v1/cart/", name="cart").json()["version"]
        self.unsafe("POST", "/api/v1/orders/", "checkout", {"cart_version": version}, ok=(201, 400, 409))
        self.client.get("/api/v1/orders/", name="order history")
        self.unsafe("POST", "/api/v1/auth/logout/", "logout", ok=(204,))
