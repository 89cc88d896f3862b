"""Request counts: aggregated per process, sent to the store Redis, decayed, robust to foreign values."""
import os

import orjson
import pytest
from django.core.cache import caches

from catalog import popularity
from catalog.popularity import flush_counts, popularity_add, popularity_decay, popularity_key, request_counts

pytestmark = pytest.mark.django_db(transaction=True)


def store():
    return caches["sessions"].tier.client


def scores(kind: str) -> dict:
    return {member: score for member, score in store().zrange(popularity_key(kind), 0, -1, withscores=True)}


def test_requests_through_the_api_reach_the_store_sorted_sets(api_client, make_product, category):
    popular, other = make_product(name="Copper Kettle"), make_product()
    for _ in range(3):
        assert api_client.get(f"/api/v1/products/{popular.id}/").status_code == 200
    api_client.get(f"/api/v1/products/{other.id}/")
    api_client.get("/api/v1/products/999999/")  # unknown: not counted
    api_client.get(f"/api/v1/categories/{category.slug}/products/", {"ordering": "price"})
    api_client.get(f"/api/v1/categories/{category.slug}/products/", {"ordering": "price", "page": 1})
    api_client.get("/api/v1/search/", {"q": "copper"})
    assert scores("product") == {}  # counted in the process, not sent yet (within the second)

    flush_counts()
    assert scores("product") == {str(popular.id).encode(): 3.0, str(other.id).encode(): 1.0}
    [(listing, count)] = scores("listing").items()
    assert count == 2.0  # with and without ?page=1: one listing
    assert orjson.loads(listing)["ordering"] == "price" and "page" not in orjson.loads(listing)
    assert popularity.top_listings(5) == [{**orjson.loads(listing), "page": 1}]
    [(search, _)] = scores("search").items()
    assert orjson.loads(search)["q"] == "copper"


def test_a_request_sends_the_counts_once_the_interval_has_passed(api_client, product, monkeypatch):
    monkeypatch.setattr(request_counts, "interval", 3600)
    api_client.get(f"/api/v1/products/{product.id}/")
    assert scores("product") == {}
    monkeypatch.setattr(request_counts, "interval", 0)
    api_client.get(f"/api/v1/products/{product.id}/")  # finds the last send old enough: sends both
    assert scores("product") == {str(product.id).encode(): 2.0}


def test_a_forked_child_does_not_inherit_the_parents_unsent_counts(product, monkeypatch):
    monkeypatch.setattr(request_counts, "interval", 3600)
    popularity.record_product(product.id)
    pid = os.fork()
    if pid == 0:  # the child: a gunicorn worker forked from a master that had counted
        os._exit(0 if not popularity.request_counts.counts else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert request_counts.counts == {"product": {product.id: 1}}  # the parent's are still its own


def test_decay_halves_every_score_and_keeps_the_most_popular(monkeypatch):
    monkeypatch.setitem(popularity.KEEP, "product", 3)
    popularity_add({"product": {1: 8, 2: 6, 3: 4, 4: 2, 5: 0.015}, "search": {b'{"q":"kettle"}': 2}})
    assert popularity_decay() == {"product": 3, "listing": 0, "search": 1}
    assert scores("product") == {b"2": 3.0, b"3": 2.0, b"1": 4.0}  # 4 trimmed, 5 forgotten (under 0.01)
    assert scores("search") == {b'{"q":"kettle"}': 1.0}
    assert popularity.top_products(10) == [1, 2, 3]


def test_a_foreign_value_under_a_popularity_key_breaks_no_request(api_client, product, category, monkeypatch):
    for kind in ("product", "listing", "search"):
        store().set(popularity_key(kind), b"not a sorted set")
    monkeypatch.setattr(request_counts, "interval", 0)
    assert api_client.get(f"/api/v1/products/{product.id}/").status_code == 200
    assert api_client.get(f"/api/v1/categories/{category.slug}/products/").status_code == 200
    assert api_client.get("/api/v1/search/", {"q": "kettle"}).status_code == 200
    assert popularity.top_products(10) == [] and popularity.top_listings(10) == []
    assert popularity_decay() == {"product": 0, "listing": 0, "search": 0}
    # The foreign values are gone: counting starts over.
    assert api_client.get(f"/api/v1/products/{product.id}/").status_code == 200
    assert scores("product") == {str(product.id).encode(): 1.0}
