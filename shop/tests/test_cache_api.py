"""The staff's cache API: figures, dropping entries, warming; refused to anyone but staff."""
from __future__ import annotations

import pytest

import caching
from caching.datatypes import registry
from caching.handler import get_layer, redis_client, reset_layer
from caching.hotkeys import sampler
from caching.services import cache_invalidate_type
from caching.tests.concurrency import wait_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method,path,body", [
    ("get", "/api/v1/cache/stats/", None),
    ("post", "/api/v1/cache/invalidate/", {"type": "product", "id": 1}),
    ("post", "/api/v1/cache/warm/", {"type": "product"}),
])
def test_anyone_but_staff_gets_a_403(api_client, user_client, method, path, body):
    for client in (api_client, user_client):
        response = getattr(client, method)(path, body, format="json") if body else client.get(path)
        assert response.status_code == 403, response.content


def test_stats_report_the_figures_per_data_type_and_the_hot_keys(staff_client, product, settings):
    settings.CACHING = {**settings.CACHING, "HOT_KEY_SAMPLE_EVERY": 1}
    reset_layer()
    for _ in range(5):
        assert staff_client.get(f"/api/v1/products/{product.pk}/").status_code == 200
    sampler.last_sent = 0  # the next sample sends what is counted
    sampler.record("product", registry.get("product").key(product.pk))
    body = staff_client.get("/api/v1/cache/stats/").json()
    row = body["data_types"]["product"]
    assert row["requests"] >= 5 and row["l1_hits"] + row["l2_hits"] >= 4 and 0 < row["hit_ratio"] <= 1
    assert {"cache", "cdn", "cdn_in_progress"} <= set(body["outboxes"])
    assert body["redis"]["layer"]["maxmemory"] > 0 and "memory_ratio" in body["redis"]["layer"]
    hottest = body["hot_keys"]["product"][0]
    assert (hottest["key"], hottest["id"]) == (registry.get("product").key(product.pk), str(product.pk))
    assert hottest["reads_per_second"] > 0
    assert body["breaker_open"] is False


def test_invalidating_one_entry_drops_it_and_the_next_read_is_fresh(staff_client, product):
    assert staff_client.get(f"/api/v1/products/{product.pk}/")["X-Cache"] == "MISS"
    assert staff_client.get(f"/api/v1/products/{product.pk}/")["X-Cache"] == "HIT-L1"
    response = staff_client.post("/api/v1/cache/invalidate/", {"type": "product", "id": product.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["key"] == registry.get("product").key(product.pk)
    assert not redis_client().exists(registry.get("product").key(product.pk))
    assert staff_client.get(f"/api/v1/products/{product.pk}/")["X-Cache"] == "MISS"


@pytest.mark.parametrize("body", [
    {"type": "nope"}, {"type": 3}, {}, {"type": "product", "id": True}, {"type": "product", "id": [1]},
    {"type": "product", "id": "x" * 201}, {"type": "product", "id": -1},
])
def test_bad_invalidate_bodies_are_400s_and_change_nothing(staff_client, product, body):
    staff_client.get(f"/api/v1/products/{product.pk}/")
    response = staff_client.post("/api/v1/cache/invalidate/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert redis_client().exists(registry.get("product").key(product.pk))


@pytest.mark.parametrize("body", [{"type": "cart"}, {"type": "nope"}, {}, {"type": 1}])
def test_bad_warm_bodies_are_400s(staff_client, body):
    response = staff_client.post("/api/v1/cache/warm/", body, format="json")
    assert response.status_code == 400, response.content


def test_whole_type_invalidation_and_warming_are_queued(staff_client):
    response = staff_client.post("/api/v1/cache/invalidate/", {"type": "product"}, format="json")
    assert response.status_code == 202 and response.json()["queued"] is True
    response = staff_client.post("/api/v1/cache/warm/", {"type": "product"}, format="json")
    assert response.status_code == 202 and response.json()["task_id"]


def test_invalidating_a_whole_type_drops_each_entry_everywhere(make_product):
    products = [make_product() for _ in range(30)]
    for product in products:
        caching.get_or_load("product", product.pk)
    other = caching.get_or_load("categories", "all")
    assert cache_invalidate_type(data_type="product") == 30
    kind = registry.get("product")
    assert not any(redis_client().exists(kind.key(p.pk)) for p in products)
    assert all(get_layer().l1.get(kind.key(p.pk)) is None for p in products)
    assert caching.fetch("categories", "all").value == other  # other types untouched
    assert caching.fetch("product", products[0].pk).status == "MISS"


def test_warming_a_type_through_the_service(make_product):
    from caching.services import cache_warm_type

    product = make_product()
    assert cache_warm_type(data_type="product") >= 1
    assert wait_for(lambda: redis_client().exists(registry.get("product").key(product.pk)), timeout=5)
