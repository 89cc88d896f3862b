"""Fork safety: a child (gunicorn --preload, Celery prefork) inherits no lock, listener or load in flight."""
import os
import signal
import threading
import time

import pytest
from django.db import connections, transaction

import caching
from caching.handler import get_layer
from caching.tests.testapp.models import Widget
from catalog.models import Product
from shop.tests.servers import Gunicorn

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for_child(pid: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_a_child_forked_while_other_threads_hold_the_layers_locks_uses_a_layer_of_its_own(widget_type, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    layer.bus.sync()
    assert caching.get_or_load("widget", widget.pk)["price"] == 1
    holding, release = threading.Event(), threading.Event()

    def hold_the_locks():  # as a request thread or the listener may at the moment of a fork
        with layer.l1._lock, layer.flight._lock, layer.recovery._lock:
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_locks)
    holder.start()
    assert holding.wait(5)
    pid = os.fork()
    if pid == 0:  # the child: exit 0 when it could read through a layer of its own
        code = 1
        try:
            signal.alarm(10)  # a deadlock ends here
            # The parent's database socket is not ours to use, nor to close (closing it would
            # end the parent's session): keep the object alive and open a connection of our own.
            inherited = connections["default"].connection  # noqa: F841
            connections["default"].connection = None
            child_layer = get_layer()
            value = caching.get_or_load("widget", widget.pk)
            assert child_layer is not layer and value["price"] == 1
            assert child_layer.bus.connected.wait(5)  # a listener of its own
            code = 0
        finally:
            os._exit(code)
    try:
        assert _wait_for_child(pid, 20) == 0
    finally:
        release.set()
        holder.join(5)


def test_gunicorn_preload_workers_each_follow_invalidations(product):
    server = Gunicorn(workers=2, args=("--config", "python:caching.tests.gunicorn_preload"))
    server.start()
    try:
        path = f"/api/v1/products/{product.id}/"
        for _ in range(10):  # both workers hold the product in L1
            status, _, body = server.get(path)
            assert status == 200 and b"39.90" in body
        with transaction.atomic():
            Product.objects.filter(pk=product.pk).update(price="41.00")
            caching.invalidate("product", product.id)
        deadline = time.monotonic() + 5
        bodies = []
        while time.monotonic() < deadline:
            bodies = [server.get(path) for _ in range(10)]
            if all(b"41.00" in body for _, _, body in bodies):
                break
            time.sleep(0.05)
        assert [status for status, _, _ in bodies] == [200] * 10
        assert all(b"41.00" in body for _, _, body in bodies)
    finally:
        server.stop()
