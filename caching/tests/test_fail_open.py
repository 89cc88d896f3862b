"""Fail-open: with Redis stopped or stalled, reads are served from the database; after
Redis returns, no value invalidated during the outage is served.

These tests run their own redis-server (with persistence, so the stale entry
survives the restart as it would on a replica or a persisted server) and stop it
for real.
"""
import threading
import time

import pytest
from django.db import transaction

import caching
from caching import Status
from caching.models import PendingInvalidation
from caching.tests.concurrency import concurrent_misses, wait_for
from caching.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)




def test_reads_are_served_from_the_database_while_redis_is_stopped(private_layer, private_redis, widget_loader):
    widget = Widget.objects.create(name="bolt", price=1)
    caching.get_or_load("widget", widget.pk)
    private_redis.stop(save=False)
    assert wait_for(lambda: not private_layer.bus.connected.is_set())
    for _ in range(10):
        result = caching.fetch("widget", widget.pk)
        assert result.value["price"] == 1
        assert result.status is Status.MISS
    # The open breaker refuses at once: no request waits for a socket timeout.
    assert private_layer.tier.breaker.state == "open"
    assert private_layer.tier.breaker.allow() is False


def test_no_value_invalidated_during_the_outage_is_served_after_redis_returns(private_layer, private_redis):
    widget = Widget.objects.create(name="bolt", price=1)
    assert caching.get_or_load("widget", widget.pk)["price"] == 1
    private_redis.stop(save=True)  # the cached price=1 survives in dump.rdb
    assert wait_for(lambda: not private_layer.bus.connected.is_set())

    with transaction.atomic():  # a write during the outage: its invalidation cannot reach Redis
        widget.price = 2
        widget.save()
    assert PendingInvalidation.objects.count() == 1
    assert caching.get_or_load("widget", widget.pk)["price"] == 2  # served from the database

    private_redis.start()
    stale = private_redis.client().get(widget_type_key(private_layer, widget.pk))
    assert stale is not None, "the stale entry should be back in Redis"
    time.sleep(0.35)  # the breaker's reset time
    assert wait_for(lambda: caching.get_or_load("widget", widget.pk)["price"] == 2)
    assert PendingInvalidation.objects.count() == 0
    assert private_redis.client().get(widget_type_key(private_layer, widget.pk)) != stale
    for _ in range(3):
        assert caching.get_or_load("widget", widget.pk)["price"] == 2


def test_a_stalled_redis_costs_one_socket_timeout_then_the_breaker_opens(private_layer, private_redis):
    widget = Widget.objects.create(name="bolt", price=1)
    caching.get_or_load("widget", widget.pk)
    private_layer.l1.clear()
    stall = threading.Thread(target=lambda: private_redis.client().execute_command("DEBUG", "SLEEP", "1.5"))
    stall.start()
    time.sleep(0.1)
    for _ in range(4):
        assert caching.get_or_load("widget", widget.pk)["price"] == 1
    # Every read was answered while Redis was still stalled: none waited for it.
    assert stall.is_alive()
    assert private_layer.tier.breaker.state == "open"
    stall.join()


def widget_type_key(layer, widget_id) -> str:
    return layer.registry.get("widget").key(widget_id)


def test_concurrent_misses_while_redis_is_down_still_load_once_per_process(private_layer, private_redis):
    private_redis.stop(save=False)
    assert wait_for(lambda: not private_layer.bus.connected.is_set())
    results, loads = concurrent_misses("widget", 1, clients=50, value="from the database")
    assert results == ["from the database"] * 50
    assert loads == 1
