"""Entry points for the cache layer's multi-process tests: `python -m caching.tests.workers ROLE ...`.

Each role sets Django up with the test settings (DATABASE_URL names the test
database), registers the same `widget` data type as the tests, does its part
and prints one JSON line of results.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time


def _setup(wait_for_link: bool = True):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings_test")
    import django

    django.setup()
    from caching import DataType, ModelRule, register
    from caching.handler import get_layer
    from caching.tests.testapp.models import Widget

    def load(widget_id):
        widget = Widget.objects.get(pk=widget_id)
        return {"id": widget.pk, "price": widget.price}

    register(DataType(name="widget", loader=load, ttl=60, jitter=0,
                      invalidated_by=(ModelRule(Widget, ids=lambda w, previous: [w.pk]),)))
    layer = get_layer()
    layer.bus.ensure_started()
    if wait_for_link:
        layer.bus.connected.wait(5)
    return layer


def reader(widget_id: str, seconds: str) -> None:
    """Read the widget in a loop; count reads."""
    import caching

    _setup()
    deadline = time.monotonic() + float(seconds)
    reads = 0
    while time.monotonic() < deadline:
        caching.get_or_load("widget", int(widget_id))
        reads += 1
    print(json.dumps({"reads": reads}), flush=True)


def watch(widget_id: str) -> None:
    """Hold the widget in L1, then report whether an invalidation removed it (within 10 s)."""
    import caching

    layer = _setup()
    # The first read after start-up runs the outbox recovery, which fences L1:
    # read until the value sits in L1.
    for _ in range(5):
        status = caching.fetch("widget", int(widget_id)).status
        if status == "HIT-L1":
            break
    key = layer.registry.get("widget").key(int(widget_id))
    print(json.dumps({"ready": True, "status": str(status)}), flush=True)
    deadline = time.monotonic() + 10
    while layer.l1.get(key) is not None and time.monotonic() < deadline:
        time.sleep(0.0005)
    noticed = layer.l1.get(key) is None
    value = caching.get_or_load("widget", int(widget_id))
    print(json.dumps({"noticed": noticed, "value": value}), flush=True)


def stampede(threads: str, total: str, prefix: str) -> None:
    """`threads` threads miss one key together with the other processes' threads (`total` in
    all). The loader counts its calls in Redis and does not return before every caller of
    every process has started its call, so all of them are in flight at once; each thread
    reports when it called and when it got the value."""
    import caching
    from caching import DataType, register
    from caching.handler import redis_client

    _setup()
    client = redis_client()
    register(DataType(name="hot", ttl=60, levels=("l1", "l2")))

    def slow_loader():
        client.incr(f"{prefix}:loads")
        deadline = time.monotonic() + 20
        while int(client.get(f"{prefix}:calling") or 0) < int(total) and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.1)  # the last caller to arrive is inside its call by now
        return {"loaded": True}

    calls = []
    ready = threading.Barrier(int(threads))

    def run():
        ready.wait()
        # Every process waits for the others: the stampede starts when all are up.
        client.incr(f"{prefix}:ready")
        while int(client.get(f"{prefix}:ready") or 0) < int(total):
            time.sleep(0.002)
        called = time.time()
        client.incr(f"{prefix}:calling")
        value = caching.get_or_load("hot", 1, slow_loader)
        calls.append([called, time.time(), value == {"loaded": True}])

    workers = [threading.Thread(target=run) for _ in range(int(threads))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps({"calls": calls}), flush=True)


def observe(widget_id: str, seconds: str) -> None:
    """Read the widget in a loop for `seconds`; report each price seen with the wall-clock
    time it was first served, so the test can say what was served after a moment."""
    import caching

    _setup()
    print(json.dumps({"ready": True}), flush=True)
    deadline = time.monotonic() + float(seconds)
    seen, last, errors = [], None, 0
    while time.monotonic() < deadline:
        try:
            price = caching.get_or_load("widget", int(widget_id))["price"]
        except Exception:  # a 5xx in a server: counted, the test wants none
            errors += 1
            continue
        if price != last:
            seen.append([time.time(), price])
            last = price
        time.sleep(0.002)
    print(json.dumps({"seen": seen, "errors": errors}), flush=True)


def write_and_exit(widget_id: str, price: str) -> None:
    """Change the widget's price through the ORM (its invalidation follows the commit), and exit."""
    _setup(wait_for_link=False)
    from django.db import transaction

    from caching.models import PendingInvalidation
    from caching.tests.testapp.models import Widget

    with transaction.atomic():
        widget = Widget.objects.get(pk=int(widget_id))
        widget.price = int(price)
        widget.save()
    print(json.dumps({"pending": PendingInvalidation.objects.count()}), flush=True)


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    {"reader": reader, "watch": watch, "stampede": stampede, "observe": observe,
     "write_and_exit": write_and_exit}[role](*args)
