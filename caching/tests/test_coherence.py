"""L1 coherence: an invalidation reaches every process's L1; a lost link flushes L1."""
import time

import pytest
from django.db import transaction

import caching
from caching import Status
from caching.coherence import KEYS, decode
from caching.errors import L2Unavailable
from caching.invalidator import Recovery
from caching.models import PendingInvalidation
from caching.outbox import Outbox
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


def test_a_lost_link_flushes_l1_and_once_back_the_listener_drains_the_outbox_itself(widget_type, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    layer.bus.sync()
    caching.get_or_load("widget", widget.pk)
    assert caching.fetch("widget", widget.pk).status is Status.HIT_L1
    # A change whose invalidation another process could not deliver: in the outbox only.
    Widget.objects.filter(pk=widget.pk).update(price=2)
    PendingInvalidation.objects.create(keys=[widget_type.key(widget.pk)])

    assert layer.tier.client.client_kill_filter(_type="pubsub") >= 1
    deadline = time.monotonic() + 5
    while PendingInvalidation.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    # No request ran: the listener applied the outbox when its link came back.
    assert not PendingInvalidation.objects.exists()
    assert layer.bus.connected.is_set() and layer.l1.enabled
    assert layer.l1.get(widget_type.key(widget.pk)) is None  # flushed with the link
    assert layer.tier.client.get(widget_type.key(widget.pk)) is None  # and dropped from Redis
    assert caching.get_or_load("widget", widget.pk)["price"] == 2


def test_an_invalidation_redis_took_but_could_not_broadcast_is_broadcast_by_the_drain(widget_type, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    listener = layer.tier.client.pubsub()
    listener.subscribe(layer.bus.channel)
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    real_publish = layer.tier.publish

    def lost_publish(*args, **kwargs):  # a timeout on PUBLISH, after the Redis step went through
        raise L2Unavailable("publish: timeout")

    layer.tier.publish = lost_publish
    try:
        caching.invalidate("widget", widget.pk)
    finally:
        layer.tier.publish = real_publish
    assert PendingInvalidation.objects.count() == 1  # kept, so that peers still hear it
    assert layer.drain_outbox() == 1
    heard = [decode(m["data"]) for m in iter(lambda: listener.get_message(timeout=1), None) if m["type"] == "message"]
    assert (KEYS, [widget_type.key(widget.pk)]) in heard
    listener.close()


def test_a_failure_during_a_drain_keeps_the_process_off_l2(layer):
    recovery = Recovery(outbox=Outbox("test"), drain=lambda: recovery.require())  # fails again meanwhile
    recovery.ensure()
    assert recovery.needed
