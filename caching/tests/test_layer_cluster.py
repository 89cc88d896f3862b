"""The layer on a real Redis Cluster with replicas: its multi-key operations (every key of one
entry shares a hash tag, so no CROSSSLOT error), warming, the tiered backend, and a failover."""
import time

import pytest
from django.db import transaction

import caching
from caching import Status
from caching.handler import get_layer, reset_layer
from caching.models import PendingInvalidation
from caching.serializers import unpack
from caching.tests.concurrency import wait_for
from caching.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cluster_layer(redis_cluster, settings, widget_type):
    settings.CACHING = {"REDIS_URL": redis_cluster.url, "REDIS_CLUSTER": True}
    reset_layer()
    layer = get_layer()
    layer.bus.ensure_started()
    assert layer.bus.connected.wait(10)
    yield layer
    reset_layer()


def test_cache_aside_invalidation_and_leases_work_on_cluster(cluster_layer, widget_loader, make_data_type):
    widget = Widget.objects.create(name="bolt", price=1)
    assert caching.fetch("widget", widget.pk).status is Status.MISS
    cluster_layer.l1.clear()
    assert caching.fetch("widget", widget.pk).status is Status.HIT_L2
    with transaction.atomic():
        widget.price = 2
        widget.save()
    assert caching.get_or_load("widget", widget.pk)["price"] == 2

    make_data_type(name="finder", strategy="generational", namespace="catalog", levels=("l2",),
                   loader=lambda q: f"results {q}")
    caching.get_or_load("finder", "q")
    caching.bump("catalog")
    assert caching.fetch("finder", "q").status is Status.MISS

    make_data_type(name="basket", strategy="write_through", levels=("l2",), loader=lambda i: {"version": 0},
                   version_of=lambda value: value["version"])
    assert cluster_layer.put("basket", 1, lambda: {"version": 2})
    assert not cluster_layer.put("basket", 1, lambda: {"version": 1})
    assert caching.get_or_load("basket", 1) == {"version": 2}


def test_warming_stores_fenced_batches_on_cluster(cluster_layer, widget_type):
    widgets = [Widget.objects.create(name=f"w{i}", price=i) for i in range(20)]
    stored = caching.warm("widget", [w.pk for w in widgets],
                          lambda ids: {w.pk: {"id": w.pk, "price": w.price} for w in Widget.objects.filter(pk__in=ids)})
    assert stored == 20
    cluster_layer.l1.clear()
    assert {caching.fetch("widget", w.pk).status for w in widgets} == {Status.HIT_L2}


def test_the_tiered_backend_on_cluster_keeps_l1_coherent(redis_cluster, db):
    from caching.backends.tiered import TieredBackend

    params = {"TIMEOUT": 300, "OPTIONS": {"CLUSTER": True, "CHANNEL": "cluster-coherence"}}
    here = TieredBackend(redis_cluster.url, params)
    there = TieredBackend(redis_cluster.url.replace("127.0.0.1", "localhost"), params)
    for cache in (here, there):
        cache.bus.ensure_started()
        assert cache.bus.connected.wait(10)
    here.set("k", "old")
    assert here.bus.sync()  # its own broadcast applied, so the read below may keep the value
    assert here.get("k") == "old" and here.l1.get(here.make_key("k")) is not None
    there.set("k", "new")
    assert there.bus.sync() and here.bus.sync()
    assert here.get("k") == "new"
    here.delete_many(["k"])
    assert here.get_many(["k"]) == {}


def test_a_cluster_failover_gives_no_error_and_nothing_stale(cluster_layer, redis_cluster, widget_type):
    widget = Widget.objects.create(name="bolt", price=1)
    cluster_layer.bus.sync()
    assert caching.get_or_load("widget", widget.pk)["price"] == 1
    key = widget_type.key(widget.pk)
    replica = redis_cluster.replica_of_slot_owner(key)
    old_master = redis_cluster.node(replica).info("replication")["master_port"]
    redis_cluster.node(replica).execute_command("CLUSTER", "FAILOVER")  # the replica takes over, no data lost
    errors, prices = [], []
    deadline = time.monotonic() + 15
    price = 1
    while time.monotonic() < deadline:
        price += 1
        try:
            with transaction.atomic():
                widget.price = price
                widget.save()
            prices.append(caching.get_or_load("widget", widget.pk)["price"])
        except Exception as exc:  # a 5xx in a server; there must be none
            errors.append(exc)
        if redis_cluster.node(replica).info("replication")["role"] == "master" and len(prices) > 20:
            break
        time.sleep(0.05)
    assert errors == []
    assert redis_cluster.node(replica).info("replication")["role"] == "master"
    assert wait_for(lambda: redis_cluster.node(old_master).info("replication")["role"] == "slave")
    assert prices == list(range(2, price + 1))  # every read after a write showed that write
    # Invalidations the failover refused (a write to the demoted master, a slot moving) went
    # to the outbox, and L2 was not read meanwhile; once it is applied, Redis holds nothing old.
    assert wait_for(lambda: caching.get_or_load("widget", widget.pk)["price"] == price
                    and not PendingInvalidation.objects.exists() and not cluster_layer.recovery.needed)
    blob = redis_cluster.node(replica).get(key)
    assert blob is None or widget_type.codec.loads(unpack(blob).payload)["price"] == price
    cluster_layer.l1.clear()
    assert caching.fetch("widget", widget.pk) in (
        ({"id": widget.pk, "name": "bolt", "price": price}, Status.HIT_L2),
        ({"id": widget.pk, "name": "bolt", "price": price}, Status.MISS))

