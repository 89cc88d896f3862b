"""The layer's multi-key operations (Lua scripts, MGET of a key and its fence) on a real Redis Cluster:
every key of one entry shares a hash tag, so no CROSSSLOT error."""
import pytest
from django.db import transaction

import caching
from caching import Status
from caching.handler import get_layer, reset_layer
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

    make_data_type(name="basket", strategy="write_through", levels=("l2",), loader=lambda i: {"version": 0})
    assert cluster_layer.put("basket", 1, {"version": 2}, version=2)
    assert not cluster_layer.put("basket", 1, {"version": 1}, version=1)
    assert caching.get_or_load("basket", 1) == {"version": 2}
