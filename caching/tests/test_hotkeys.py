"""Hot keys: found by sampling, ranked by a decaying count in Redis, pinned in L1, refreshed early."""
from __future__ import annotations

import random
import time

import pytest

import caching
from caching.conf import settings as caching_settings
from caching.hotkeys import WINDOW_HALF_LIVES, _window, hot_key, hottest, sampler
from caching.tests.concurrency import wait_for
from caching.tiers.local import LocalCache
from shop.tests.servers import Gunicorn

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_lookup(settings, layer):
    """Sample every look-up (the default is 1 in 16), so counts are exact."""
    settings.CACHING = {**settings.CACHING, "HOT_KEY_SAMPLE_EVERY": 1}
    sampler.forget()
    yield sampler
    sampler.forget()


def send_now() -> None:
    """Send what this process counted (a send happens at most once a second by itself)."""
    with sampler.lock:
        counts, sampler.counts, sampler.tracked = sampler.counts, {}, 0
    sampler.send(counts, time.time())


def test_the_hottest_keys_are_ranked_by_how_often_they_are_read(make_data_type, every_lookup):
    make_data_type(name="gadget", loader=lambda i: {"id": i}, ttl=60, jitter=0)
    reads = {1: 200, 2: 50, 3: 5}
    for item_id, times in reads.items():
        for _ in range(times):
            caching.get_or_load("gadget", item_id)
    send_now()
    top = hottest("gadget", 3)
    assert [row["id"] for row in top] == ["1", "2", "3"]
    rates = [row["reads_per_second"] for row in top]
    assert rates[0] / rates[1] == pytest.approx(4, rel=0.05) and rates[1] / rates[2] == pytest.approx(10, rel=0.05)


def test_counts_decay_with_the_half_life(make_data_type, every_lookup):
    make_data_type(name="gadget", loader=lambda i: {"id": i}, ttl=60, jitter=0)
    for _ in range(100):
        caching.get_or_load("gadget", 1)
    send_now()
    now = time.time()
    later = hottest("gadget", 1, now=now + caching_settings.HOT_KEY_HALF_LIFE)[0]["reads_per_second"]
    assert later == pytest.approx(hottest("gadget", 1, now=now)[0]["reads_per_second"] / 2, rel=0.02)


def test_a_read_returns_just_the_hottest_and_the_previous_window_still_counts(make_data_type, every_lookup,
                                                                             layer):
    make_data_type(name="gadget", loader=lambda i: {"id": i}, ttl=60, jitter=0)
    for item_id in range(1, 51):
        for _ in range(item_id):
            caching.get_or_load("gadget", item_id)
    send_now()
    assert [row["id"] for row in hottest("gadget", 3)] == ["50", "49", "48"]
    assert not layer.tier.client.exists(hot_key("gadget", "union"))  # the scratch set is gone
    next_window = time.time() + caching_settings.HOT_KEY_HALF_LIFE * WINDOW_HALF_LIVES
    assert [row["id"] for row in hottest("gadget", 3, now=next_window)] == ["50", "49", "48"]


def test_a_foreign_value_under_a_hot_key_set_gives_no_hot_keys(make_data_type, every_lookup, layer):
    make_data_type(name="gadget", loader=lambda i: {"id": i}, ttl=60, jitter=0)
    window, _ = _window(time.time())
    layer.tier.client.set(hot_key("gadget", window), b"not a sorted set")
    assert hottest("gadget", 3) == []


def test_a_pinned_key_survives_l1_eviction():
    l1 = LocalCache(max_entries=3, max_bytes=10_000)
    l1.is_pinned = lambda key: key == "hot"
    for key in ("hot", "a", "b", "c", "d"):
        l1.set(key, key, ttl=60, size=10)
    assert l1.get("hot") is not None and l1.get("a") is None and l1.get("b") is None
    assert len(l1) == 3


def test_a_pinned_key_near_the_end_of_its_freshness_is_refreshed_in_the_background(make_data_type, every_lookup,
                                                                                   settings, layer):
    settings.CACHING = {**settings.CACHING, "HOT_KEY_REFRESH_FRACTION": 0.9}
    loads = []
    kind = make_data_type(name="gadget", loader=lambda i: loads.append(i) or {"n": len(loads)}, ttl=2, jitter=0)
    assert caching.fetch("gadget", 1).status == "MISS"
    every_lookup.pinned = frozenset({kind.key(1)})
    time.sleep(0.3)  # 1.7 s of freshness left: under 90 % of the TTL
    layer.l1.clear()  # the next read is an L2 hit, as after an L1 entry's end
    result = caching.fetch("gadget", 1)
    assert result.status == "HIT-L2" and result.value == {"n": 1}  # served at once...
    assert wait_for(lambda: len(loads) == 2, timeout=5)  # ...and reloaded behind it
    layer.l1.clear()
    assert caching.fetch("gadget", 1).value == {"n": 2}


def test_an_unpinned_key_is_not_refreshed_early(make_data_type, every_lookup, settings, layer):
    settings.CACHING = {**settings.CACHING, "HOT_KEY_REFRESH_FRACTION": 0.9}
    loads = []
    make_data_type(name="gadget", loader=lambda i: loads.append(i) or {"n": len(loads)}, ttl=2, jitter=0)
    caching.fetch("gadget", 1)
    time.sleep(0.3)
    layer.l1.clear()
    assert caching.fetch("gadget", 1).status == "HIT-L2"
    time.sleep(0.5)
    assert len(loads) == 1


@pytest.mark.django_db(transaction=True)
def test_two_server_processes_find_the_workloads_hottest_products(make_product, layer):
    products = [make_product() for _ in range(20)]
    # Requests per product: three clear favourites, then a flat tail. At 1 look-up in 16 the
    # favourites get about 100, 37 and 12 samples: far enough apart (3.5 standard deviations
    # and more) that sampling noise does not swap them.
    plan = {products[0]: 1600, products[1]: 600, products[2]: 200, **{p: 3 for p in products[3:]}}
    server = Gunicorn(workers=2)  # the shipped sampling: 1 look-up in 16
    server.start()
    try:
        order = [p for p, times in plan.items() for _ in range(times)]
        random.Random(7).shuffle(order)
        for product in order:
            assert server.get(f"/api/v1/products/{product.pk}/", headers={"Connection": "close"})[0] == 200
        time.sleep(1.1)  # then a few more reads let each worker send what it still holds
        for _ in range(40):
            server.get(f"/api/v1/products/{products[0].pk}/", headers={"Connection": "close"})
    finally:
        server.stop()
    top = [row["id"] for row in hottest("product", 3)]
    assert top == [str(products[0].pk), str(products[1].pk), str(products[2].pk)]
