"""With read replicas, a load soon after its item's invalidation reads the primary (PRIMARY_READS):
a replica may not have the change yet, and its old row would be cached for the entry's TTL.
Here PRIMARY_READS is multidb's `use_primary_db`, and the loaders record whether it was on;
shop/tests/test_replicas.py shows the same on a real primary and paused replica."""
import time

import pytest
from multidb.pinning import this_thread_is_pinned

import caching
from caching.keys import generation_key

pytestmark = pytest.mark.django_db(transaction=True)  # invalidations commit at once

BOUND = 1.5  # wide enough that a slow machine still loads within it


@pytest.fixture
def lag_bound(settings):
    settings.CACHING = {**settings.CACHING, "REPLICA_LAG_BOUND": BOUND,
                        "PRIMARY_READS": "multidb.pinning.use_primary_db"}


def recorder(pinned: list):
    return lambda item_id: pinned.append(this_thread_is_pinned()) or {"id": item_id}


def test_a_miss_soon_after_an_invalidation_reads_the_primary_and_one_later_the_replica(
        make_data_type, lag_bound, layer):
    pinned = []
    gadget = make_data_type(name="gadget", loader=recorder(pinned), ttl=60, jitter=0, levels=("l2",))
    caching.get_or_load("gadget", 1)  # never invalidated: wherever the router sends reads
    caching.invalidate_now("gadget", 1)
    caching.get_or_load("gadget", 1)  # within the bound: the primary
    time.sleep(BOUND + 0.1)
    layer.tier.client.delete(gadget.key(1))  # a miss again (evicted, say), with the same fence
    caching.get_or_load("gadget", 1)
    assert pinned == [False, True, False]
    assert not this_thread_is_pinned()  # the context ends with the load


def test_a_generational_miss_soon_after_a_bump_reads_the_primary(make_data_type, lag_bound, layer):
    pinned = []
    make_data_type(name="finder", strategy="generational", namespace="widgets", levels=("l2",),
                   loader=recorder(pinned))
    layer.tier.client.set(generation_key("shop", "widgets"), 1)  # bumped long ago
    caching.get_or_load("finder", "a")
    caching.bump("widgets")
    caching.get_or_load("finder", "a")
    assert pinned == [False, True]


def test_warming_soon_after_an_invalidation_reads_the_primary(make_data_type, lag_bound, layer):
    pinned = []
    make_data_type(name="gadget", loader=recorder(pinned), ttl=60, jitter=0, levels=("l2",))

    def load_many(ids):
        pinned.append(this_thread_is_pinned())
        return {item_id: {"id": item_id} for item_id in ids}

    assert caching.warm("gadget", [1, 2], load_many) == 2
    caching.invalidate_now("gadget", 2)
    assert caching.warm("gadget", [1, 2], load_many) == 2  # one load for both: 2's fence is young
    assert pinned == [False, True]


def test_without_replicas_loads_are_left_to_the_router(make_data_type, layer):
    pinned = []
    make_data_type(name="gadget", loader=recorder(pinned), ttl=60, jitter=0, levels=("l2",))
    caching.invalidate_now("gadget", 1)
    caching.get_or_load("gadget", 1)
    assert pinned == [False]
