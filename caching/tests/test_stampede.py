"""Stampede protection: many concurrent misses of one key cause one load."""
import uuid

import pytest

import caching
from caching.tests.concurrency import concurrent_misses
from caching.tests.processes import read_json_line, start_worker


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_misses_in_one_process_cause_exactly_one_load(make_data_type, layer):
    make_data_type(name="hot", ttl=60)
    results, loads = concurrent_misses("hot", 1, clients=200, value={"loaded": True})
    assert loads == 1
    assert results == [{"loaded": True}] * 200


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_misses_across_four_processes_cause_exactly_one_load(layer):
    prefix = f"test:stampede:{uuid.uuid4().hex}"
    workers = [start_worker("stampede", "50", "200", prefix) for _ in range(4)]
    results = [read_json_line(worker, timeout=60) for worker in workers]
    for worker in workers:
        worker.wait(10)
    calls = [call for result in results for call in result["calls"]]
    assert len(calls) == 200 and all(served for _, _, served in calls)
    # They overlapped: the last call began before the first one got its value.
    assert max(called for called, _, _ in calls) < min(answered for _, answered, _ in calls)
    assert int(layer.tier.client.get(f"{prefix}:loads")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_reader_that_saw_the_miss_just_before_another_loader_stored_does_not_load_again(make_data_type, layer):
    make_data_type(name="hot", ttl=60, levels=("l2",))
    assert caching.get_or_load("hot", 1, lambda: "first load") == "first load"
    # This reader's GET ran just before the value was stored: inject that stale miss.
    real_get = layer.tier.get
    layer.tier.get = lambda key: None
    loads = []
    try:
        value = caching.get_or_load("hot", 1, lambda: loads.append(1) or "second load")
    finally:
        layer.tier.get = real_get
    assert value == "first load"
    assert loads == []
