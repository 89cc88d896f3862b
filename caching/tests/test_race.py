"""Race safety: a value read before a write is never stored after that write's invalidation.

The interleavings are forced with events and barriers, not sleeps: each test
fails when the fence or the invalidation order is taken away.
"""
import threading

import pytest
from django.db import close_old_connections, connection, transaction

import caching
from caching import Status
from caching.serializers import unpack
from caching.tests.processes import read_json_line, start_worker
from caching.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(fn):
    def run():
        try:
            fn()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _cached_price(layer, widget_type, widget_id):
    """The price stored in Redis for the widget, or None when nothing is stored."""
    blob = layer.tier.client.get(widget_type.key(widget_id))
    if blob is None:
        return None
    return widget_type.codec.loads(unpack(blob).payload)["price"]


def _set_price(widget, price):
    with transaction.atomic():
        widget.price = price
        widget.save()


def test_a_load_paused_between_its_read_and_its_store_cannot_install_a_stale_value(widget_type, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    layer.bus.sync()
    has_read, may_store = threading.Event(), threading.Event()
    seen = {}

    def paused_loader():
        value = {"price": Widget.objects.get(pk=widget.pk).price}  # the database read...
        has_read.set()
        assert may_store.wait(10)  # ...then a pause before the cache write
        return value

    reader = _in_thread(lambda: seen.update(value=caching.get_or_load("widget", widget.pk, paused_loader)))
    assert has_read.wait(10)
    _set_price(widget, 2)  # a writer commits and invalidates while the reader is paused
    may_store.set()
    reader.join(10)

    assert seen["value"] == {"price": 1}  # the reader returns what it read...
    assert _cached_price(layer, widget_type, widget.pk) is None  # ...but its store was refused by the fence
    assert layer.l1.get(widget_type.key(widget.pk)) is None  # ...in L1 too
    assert caching.fetch("widget", widget.pk) == ({"id": widget.pk, "name": "bolt", "price": 2}, Status.MISS)
    assert _cached_price(layer, widget_type, widget.pk) == 2


def test_a_reader_of_l2_while_an_invalidation_runs_cannot_leave_the_old_value_in_l1(widget_type, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    layer.bus.sync()
    assert caching.get_or_load("widget", widget.pk)["price"] == 1
    layer.l1.clear()  # the old value is in Redis only: a reader will promote it from there
    in_invalidation, may_go_on = threading.Event(), threading.Event()
    real_invalidate = layer.tier.invalidate

    def paused_invalidate(*args, **kwargs):
        in_invalidation.set()  # an invalidation has started...
        assert may_go_on.wait(10)  # ...and pauses just before its first step
        return real_invalidate(*args, **kwargs)

    # The broadcast of this change is held back, so only the order of the writer's own
    # steps can remove what the reader promotes.
    real_handle, echoes_may_go = layer.bus._handle, threading.Event()
    layer.bus._handle = lambda message: echoes_may_go.wait(10) and real_handle(message)
    layer.tier.invalidate = paused_invalidate
    try:
        writer = _in_thread(lambda: _set_price(widget, 2))
        assert in_invalidation.wait(10)
        # Another thread of this process reads now: the old value from L2, into L1.
        assert caching.fetch("widget", widget.pk) == ({"id": widget.pk, "name": "bolt", "price": 1}, Status.HIT_L2)
        may_go_on.set()
        writer.join(10)
        # Redis first, then this process's L1: the promoted copy is gone (were L1 invalidated
        # first, the reader's copy would now sit in L1 until its TTL or the broadcast).
        assert layer.l1.get(widget_type.key(widget.pk)) is None
    finally:
        layer.tier.invalidate = real_invalidate
        echoes_may_go.set()
        layer.bus._handle = real_handle
    assert caching.get_or_load("widget", widget.pk)["price"] == 2


def test_concurrent_readers_and_a_writer_in_threads_end_with_the_committed_value(widget_type, layer):
    widgets = [Widget.objects.create(name=f"w{i}", price=0) for i in range(3)]
    start, stop = threading.Barrier(7), threading.Event()

    def read_loop():
        close_old_connections()
        start.wait()
        while not stop.is_set():
            for widget in widgets:
                caching.get_or_load("widget", widget.pk)

    readers = [_in_thread(read_loop) for _ in range(6)]
    start.wait()  # every reader is reading before the first write
    for price in range(1, 41):
        for widget in widgets:
            _set_price(widget, price)
    stop.set()
    for reader in readers:
        reader.join(10)

    assert layer.bus.sync()
    for widget in widgets:  # from whatever level holds it, L1 included: the last committed value
        assert caching.get_or_load("widget", widget.pk)["price"] == 40
        assert _cached_price(layer, widget_type, widget.pk) in (None, 40)


def test_concurrent_reader_processes_and_a_writer_end_with_the_committed_value(widget_type, layer):
    widget = Widget.objects.create(name="bolt", price=0)
    readers = [start_worker("observe", str(widget.pk), "4") for _ in range(3)]
    for process in readers:
        assert read_json_line(process) == {"ready": True}  # each is reading
    for price in range(1, 101):
        _set_price(widget, price)
    results = [read_json_line(process) for process in readers]
    for process in readers:
        process.wait(10)
    for result in results:
        assert result["errors"] == 0
        assert result["seen"][-1][1] == 100  # each process ends on the committed value
    assert caching.get_or_load("widget", widget.pk)["price"] == 100
