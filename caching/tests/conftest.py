"""Fixtures of the cache layer's tests: a fresh layer per test, and a `widget` data type."""
from __future__ import annotations

import pytest

from caching import DataType, ModelRule, register
from caching.datatypes import registry
from caching.handler import get_layer, reset_layer
from caching.invalidation import disconnect
from caching.tests.cluster import RedisClusterProcesses
from caching.tests.testapp.models import Widget


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A Redis Cluster on loopback (3 masters, 3 replicas), started once for the session."""
    cluster = RedisClusterProcesses(tmp_path_factory.mktemp("cluster"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def layer(settings):
    """This process's cache layer, rebuilt for the test, its broadcast link up."""
    reset_layer()
    layer = get_layer()
    layer.bus.ensure_started()
    assert layer.bus.connected.wait(5), "the invalidation link did not come up"
    yield layer
    reset_layer()


@pytest.fixture
def private_layer(private_redis, widget_type):
    """The layer on a redis-server of the test's own (to stop or fault), link up, `widget` registered."""
    layer = get_layer()
    layer.bus.ensure_started()
    assert layer.bus.connected.wait(5)
    return layer


class LoadCounter:
    """A loader that reads a Widget from the database and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, widget_id: int) -> dict:
        self.calls += 1
        widget = Widget.objects.get(pk=widget_id)
        return {"id": widget.pk, "name": widget.name, "price": widget.price}


@pytest.fixture
def widget_loader() -> LoadCounter:
    return LoadCounter()


@pytest.fixture
def make_data_type():
    """Register data types for one test; they are unregistered afterwards."""
    made: list[DataType] = []

    def make(**fields) -> DataType:
        data_type = register(DataType(**fields))
        made.append(data_type)
        return data_type

    yield make
    for data_type in made:
        disconnect(data_type)
        registry.unregister(data_type.name)


@pytest.fixture
def widget_type(make_data_type, widget_loader, layer):
    return make_data_type(
        name="widget",
        loader=widget_loader,
        ttl=60,
        jitter=0,
        invalidated_by=(ModelRule(Widget, ids=lambda widget, previous: [widget.pk]),),
        cdn_paths=lambda widget_id: [f"/api/v1/widgets/{widget_id}/"],
    )
