"""Nothing read from Redis is unpickled: a crafted pickle under any key runs nothing and is a miss."""
import os
import pickle

import pytest
from django.core.cache import caches
from django_redis import get_redis_connection

from caching.handler import get_layer
from caching.metrics import snapshot
from conftest import PASSWORD, checkout

pytestmark = pytest.mark.django_db(transaction=True)


class _RunsCode:
    """Unpickling this runs a shell command that creates a file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def _family(key: str) -> str:
    """The kind of a key: `shop:<type>:...`, `...:fence`, a session, a generation..."""
    parts = key.split(":")
    if parts[1] == "1":  # a Django cache key: <prefix>:<version>:<key>
        return parts[2]
    if key.endswith((":fence", ":dv", ":lease", ":gens")):
        return key.rsplit(":", 1)[1]
    return parts[1]


def test_a_crafted_pickle_under_every_key_runs_nothing_and_every_read_is_a_miss(api_client, user, product, category,
                                                                              tmp_path):
    assert api_client.post("/api/v1/auth/login/", {"username": "alice", "password": PASSWORD},
                           format="json").status_code == 200
    api_client.post("/api/v1/cart/items/", {"product_id": product.id, "quantity": 1}, format="json")
    order_id = checkout(api_client).json()["id"]
    api_client.post("/api/v1/cart/items/", {"product_id": product.id, "quantity": 1}, format="json")
    urls = [
        # (`products/?category=<slug>` shares its entries with the category's own listing.)
        f"/api/v1/products/{product.id}/", "/api/v1/products/", f"/api/v1/categories/{category.slug}/products/",
        "/api/v1/categories/", "/api/v1/search/?q=copper",
        "/api/v1/cart/", "/api/v1/session/", "/api/v1/profile/", "/api/v1/orders/", f"/api/v1/orders/{order_id}/",
    ]
    before = {url: api_client.get(url) for url in urls}
    for url in urls:  # each is served from the cache now
        assert api_client.get(url).get("X-Cache", "HIT") != "MISS", url

    # The cache's Redis, and the store's (sessions), which may be another server.
    servers = [get_redis_connection("default"), caches["sessions"].tier.client]
    keys = [(server, key.decode()) for server in servers for key in server.scan_iter("shop:*")]
    families = {_family(key) for _, key in keys}
    assert {"product", "product_card", "listing_page", "listing_count", "listing_scope", "inactive_categories",
            "search", "categories", "category_slug", "cart", "profile", "order_history", "order", "session", "gen",
            "gens", "fence", "dv", "throttle"} <= families, families

    marker = tmp_path / "ran"
    crafted = pickle.dumps(_RunsCode(marker))
    for number, (server, key) in enumerate(keys):
        if number % 5 == 0:  # some as values of another type: a list holding the pickle
            server.delete(key)
            server.rpush(key, crafted)
        else:
            server.set(key, crafted, keepttl=True)
    get_layer().l1.clear()  # this process's copies would otherwise answer without reading Redis
    undecodable_before = sum(snapshot()["undecodable"].values())

    for url in urls:
        after = api_client.get(url)
        assert after.status_code == before[url].status_code == 200, url
        if url != "/api/v1/session/":  # it holds a fresh CSRF token
            assert after.json() == before[url].json(), url
        if "X-Cache" in after:  # from the database, through the cache (MISS) or around it (BYPASS)
            assert after["X-Cache"] in ("MISS", "BYPASS"), url
    assert not marker.exists(), "a value read from Redis ran code"
    assert sum(snapshot()["undecodable"].values()) > undecodable_before
    # The session, read from the database instead, still knows the user; a new login works.
    assert api_client.get("/api/v1/session/").json()["authenticated"] is True
    api_client.post("/api/v1/auth/logout/")
    assert api_client.post("/api/v1/auth/login/", {"username": "alice", "password": PASSWORD},
                           format="json").status_code == 200
