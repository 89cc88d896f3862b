"""Race safety: a value read before a write is never stored after that write's invalidation."""
import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

import caching
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


def test_a_load_paused_between_its_read_and_its_store_cannot_install_a_stale_value(widget_type, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    has_read, may_store = threading.Event(), threading.Event()
    seen = {}

    def paused_loader():
        value = {"price": Widget.objects.get(pk=widget.pk).price}  # the database read...
        has_read.set()
        assert may_store.wait(10)  # ...then a pause before the cache write
        return value

    reader = _in_thread(lambda: seen.update(value=caching.get_or_load("widget", widget.pk, paused_loader)))
    assert has_read.wait(10)
    with transaction.atomic():  # a writer commits while the reader is paused
        widget.price = 2
        widget.save()
    may_store.set()
    reader.join(10)

    assert seen["value"] == {"price": 1}  # the reader returns what it read...
    assert _cached_price(layer, widget_type, widget.pk) is None  # ...but stored nothing in L2
    assert caching.get_or_load("widget", widget.pk)["price"] == 2  # nor in L1


def test_concurrent_readers_and_a_writer_in_threads_end_with_the_committed_value(widget_type, layer):
    widgets = [Widget.objects.create(name=f"w{i}", price=0) for i in range(3)]
    stop = threading.Event()

    def read_loop():
        close_old_connections()
        while not stop.is_set():
            for widget in widgets:
                caching.get_or_load("widget", widget.pk)

    readers = [_in_thread(read_loop) for _ in range(6)]
    for price in range(1, 41):
        for widget in widgets:
            with transaction.atomic():
                Widget.objects.filter(pk=widget.pk).select_for_update().get()
                widget.price = price
                widget.save()
        time.sleep(0.005)
    time.sleep(0.2)
    stop.set()
    for reader in readers:
        reader.join(10)

    for widget in widgets:
        assert _cached_price(layer, widget_type, widget.pk) in (None, 40)
        layer.l1.clear()
        assert caching.get_or_load("widget", widget.pk)["price"] == 40


def test_concurrent_reader_processes_and_a_writer_end_with_the_committed_value(widget_type, layer):
    widget = Widget.objects.create(name="bolt", price=0)
    readers = [start_worker("reader", str(widget.pk), "3") for _ in range(3)]
    time.sleep(0.5)  # let them start reading
    for price in range(1, 101):
        with transaction.atomic():
            widget.price = price
            widget.save()
        time.sleep(0.01)
    results = [read_json_line(process) for process in readers]
    for process in readers:
        process.wait(10)
    assert all(result["reads"] > 0 for result in results)
    assert _cached_price(layer, widget_type, widget.pk) in (None, 100)
    assert caching.get_or_load("widget", widget.pk)["price"] == 100
