"""L1 coherence: an invalidation reaches every process's L1; a lost link flushes L1."""
import time

import pytest
from django.db import transaction

import caching
from caching import Status
from caching.tests.processes import read_json_line, start_worker
from caching.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_change_committed_here_leaves_another_processs_l1(widget_type, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    watcher = start_worker("watch", str(widget.pk))
    ready = read_json_line(watcher)
    assert ready == {"ready": True, "status": "HIT-L1"}
    with transaction.atomic():
        widget.price = 2
        widget.save()
    report = read_json_line(watcher)
    watcher.wait(10)
    assert report["noticed"] is True  # the entry left the other process's L1 (bench/ times it)
    assert report["value"]["price"] == 2


def test_losing_the_broadcast_link_flushes_l1_until_it_is_back(widget_type, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    caching.get_or_load("widget", widget.pk)
    assert caching.fetch("widget", widget.pk).status is Status.HIT_L1
    layer.tier.client.client_kill_filter(_type="pubsub")
    deadline = time.monotonic() + 5
    while layer.bus.connected.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(layer.l1) == 0
    assert layer.tier.needs_recovery  # invalidations may have been missed: replay before reading L2
    assert layer.bus.connected.wait(5), "the link did not come back"
    assert layer.l1.enabled
    # The first read runs the recovery (which fences reads in flight), then L1 fills again.
    statuses = [caching.fetch("widget", widget.pk).status for _ in range(3)]
    assert statuses == [Status.HIT_L2, Status.HIT_L2, Status.HIT_L1]
    assert not layer.tier.needs_recovery
