"""The capacity plan's arithmetic (bench/capacity_plan.py): each step against a hand computation."""
import math
import re

import pytest

from bench.capacity_plan import (
    ASSUMPTIONS,
    ROOT,
    Kind,
    api_cache_size,
    instance_for,
    l2_at_edge_ttl,
    per_request,
    readers_for,
    seconds_per_request,
    shards_for,
    tiered,
    ttl_chain,
)


def test_one_key_through_one_cache_misses_once_per_ttl_and_wait():
    # Read 10 times a second through a 60 s TTL: 1 / (60 + 0.1) loads a second.
    kind = Kind(1, keys=1, zipf=0, cdn_ttl=0, api_ttl=0, l2_ttl=60, response_bytes=1)
    chain = ttl_chain(10, kind, caches=1)
    assert chain["loads"] == pytest.approx(1 / 60.1)
    assert chain["l2_resident"] == pytest.approx(60 / 60.1)


def test_keys_read_evenly_are_one_keys_figures_times_their_number():
    kind = Kind(1, keys=1000, zipf=0, cdn_ttl=0, api_ttl=0, l2_ttl=100, response_bytes=1)
    chain = ttl_chain(10, kind, caches=1)  # each key 0.01/s: r T = 1, half the reads hit
    assert chain["loads"] == pytest.approx(5)
    assert chain["l2_resident"] == pytest.approx(500)


def test_a_level_no_longer_than_the_single_cache_before_it_gains_nothing():
    kind = Kind(1, keys=100, zipf=0.99, cdn_ttl=300, api_ttl=300, l2_ttl=300, response_bytes=1)
    chain = ttl_chain(1000, kind)
    assert chain["loads"] == pytest.approx(chain["after_api"])
    assert chain["after_cdn"] < chain["requests"]
    assert chain["after_api"] < chain["after_cdn"]


def test_an_l2_longer_than_the_stage_cache_catches_its_misses():
    # Read once a second: API Gateway (300 s) passes 1/301 a second; L2 (3,600 s) then loads
    # (1/301) / (1 + 3600/301) = 1/3901 a second and holds the entry 3600/3901 of the time.
    kind = Kind(1, keys=1, zipf=0, cdn_ttl=0, api_ttl=300, l2_ttl=3600, response_bytes=1)
    chain = ttl_chain(1, kind, caches=1)
    assert chain["after_api"] == pytest.approx(1 / 301)
    assert chain["loads"] == pytest.approx(1 / 3901)
    assert chain["l2_resident"] == pytest.approx(3600 / 3901)


def test_product_and_listing_l2_ttls_are_the_shipped_ones():
    shipped = int(re.search(r"^PRODUCT_TTL = (\d+)$", (ROOT / "catalog" / "cache.py").read_text(), re.M)[1])
    assert ASSUMPTIONS["detail"].l2_ttl == ASSUMPTIONS["listing"].l2_ttl == shipped == 3600
    assert ASSUMPTIONS["detail"].l2_ttl > ASSUMPTIONS["detail"].api_ttl


def test_l2_at_the_edges_ttl_turns_every_origin_read_of_a_product_into_a_load():
    kinds = l2_at_edge_ttl()
    assert kinds["detail"].l2_ttl == kinds["detail"].api_ttl == 300
    assert kinds["listing"].l2_ttl == 300
    assert {n: k for n, k in kinds.items() if n not in ("detail", "listing")} == {
        n: k for n, k in ASSUMPTIONS.items() if n not in ("detail", "listing")}
    few = {"keys": 1000, "zipf": 0.99}  # the shape of the catalog's reads on a small scale
    edge = ttl_chain(1000, Kind(1, **few, cdn_ttl=300, api_ttl=300, l2_ttl=300, response_bytes=1))
    shipped = ttl_chain(1000, Kind(1, **few, cdn_ttl=300, api_ttl=300, l2_ttl=3600, response_bytes=1))
    assert edge["loads"] == pytest.approx(edge["after_api"])
    assert shipped["after_api"] == pytest.approx(edge["after_api"])
    assert shipped["loads"] < edge["loads"]


def test_a_sliding_entry_that_is_never_evicted_is_always_a_hit():
    kind = Kind(1, keys=10, zipf=0, cdn_ttl=0, api_ttl=0, l2_ttl=math.inf, response_bytes=1)
    chain = ttl_chain(5, kind, caches=1)
    assert chain["loads"] == 0
    assert chain["after_api"] == 5


def test_hits_and_loads_split_from_a_spread_run():
    # Hits take 1 ms (1,000 req/s); a spread run at 50 % hits gave 400 req/s: a load takes 4 ms.
    hit, load = seconds_per_request(rps_hit=1000, rps_spread=400, spread_hit_ratio=0.5)
    assert (hit, load) == (pytest.approx(0.001), pytest.approx(0.004))
    assert per_request(on_hit=1, spread=3, spread_hit_ratio=0.5) == (1, pytest.approx(5))


def test_tiered_prices_fill_the_cheap_tier_last():
    tiers = ((10, 1.0), (math.inf, 0.5))
    assert tiered(4, tiers) == 4
    assert tiered(30, tiers) == 10 + 20 * 0.5


def test_shards_take_the_larger_of_memory_and_throughput():
    by_memory = shards_for(data_bytes=30 * 1024 ** 3, node="cache.r7g.large", ops_equivalents=1, node_ops=50_000)
    assert by_memory["for_memory"] == 4  # 13.07 GiB x 0.75 usable x 0.8 target = 7.8 GiB a shard
    assert by_memory["memory_used"] < 0.8
    by_ops = shards_for(data_bytes=1, node="cache.r7g.large", ops_equivalents=100_000, node_ops=50_000)
    assert by_ops["shards"] == by_ops["for_ops"] == 4  # 32,500 a shard at 35 % headroom


def test_readers_keep_one_spare():
    # 8 vCPUs x 7,000 statements x 65 % = 36,400 a reader
    assert readers_for(36_400, "db.r7g.2xlarge") == 2
    assert readers_for(36_401, "db.r7g.2xlarge") == 3


def test_the_writer_is_the_smallest_class_that_takes_the_writes():
    assert instance_for(9_100) == "db.r7g.large"  # 2 x 7,000 x 65 %
    assert instance_for(9_101) == "db.r7g.xlarge"


def test_api_cache_size_is_the_smallest_that_holds_the_entries():
    assert api_cache_size(0.3e9) == 0.5
    assert api_cache_size(1.0e9) == 1.6
