"""Real Redis faults, injected for real: no 5xx, and nothing stale served once the fault is over.

Each test runs a redis-server of its own (caching.tests.redis_process) and
puts it into a state a production Redis reaches: a read-only replica after a
failover, full with `noeviction`, paused, black-holed by a partition, evicting
under memory pressure.
"""
import random
import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

import caching
from caching import Status, clients
from caching.coherence import KEYS, encode
from caching.handler import get_layer, reset_layer
from caching.models import PendingInvalidation
from caching.serializers import unpack
from caching.tests.concurrency import wait_for
from caching.tests.processes import read_json_line, start_celery_worker, start_worker, worker_env
from caching.tests.proxy import BlackHoleProxy
from caching.tests.redis_process import RedisProcess, free_port
from caching.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)




def _cached_price(layer, widget_id):
    blob = layer.tier.client.get(layer.registry.get("widget").key(widget_id))
    return None if blob is None else layer.registry.get("widget").codec.loads(unpack(blob).payload)["price"]


def _price(widget_id) -> int:
    return caching.get_or_load("widget", widget_id)["price"]


def _set_price(widget, price) -> float:
    with transaction.atomic():
        widget.price = price
        widget.save()
    return time.time()


def _cached_widget(layer, price=1):
    widget = Widget.objects.create(name="bolt", price=price)
    layer.bus.sync()
    assert _price(widget.pk) == price and _cached_price(layer, widget.pk) == price
    return widget


def _wait_for_link(client) -> None:
    assert wait_for(lambda: client.info("replication").get("master_link_status") == "up"), "replication down"


def test_a_redis_made_a_read_only_replica_mid_run_gives_no_error_and_nothing_stale(private_layer, private_redis,
                                                                                  tmp_path):
    widget = _cached_widget(private_layer)
    peer = start_worker("observe", str(widget.pk), "8", env={"CACHING_REDIS_URL": private_redis.url})
    assert read_json_line(peer) == {"ready": True}

    # A failover turns our server into a replica of another one holding the same data
    # (the cached price=1 included): B copies A, then A follows B, read-only.
    other = RedisProcess(tmp_path / "b", free_port())
    (tmp_path / "b").mkdir()
    other.start()
    other.client().config_set("masterauth", private_redis.password)
    other.client().replicaof("127.0.0.1", private_redis.port)
    _wait_for_link(other.client())
    a = private_redis.client()
    a.config_set("masterauth", other.password)
    a.replicaof("127.0.0.1", other.port)
    _wait_for_link(a)
    try:
        written_at = _set_price(widget, 2)  # its invalidation meets READONLY
        assert PendingInvalidation.objects.count() == 1
        for _ in range(5):
            assert _price(widget.pk) == 2  # from the database: L2 is not read while the outbox waits
        fresh = Widget.objects.create(name="nut", price=7)  # a miss whose lease and store are refused
        assert _price(fresh.pk) == 7
        assert _cached_price(private_layer, widget.pk) == 1  # the stale entry is still in Redis
    finally:
        a.replicaof("NO", "ONE")
        other.stop(save=False)
    assert wait_for(lambda: _price(widget.pk) == 2 and not PendingInvalidation.objects.exists())
    assert _cached_price(private_layer, widget.pk) in (None, 2)

    report = read_json_line(peer, timeout=30)
    peer.wait(10)
    assert report["errors"] == 0
    last_time, last_price = report["seen"][-1]
    assert last_price == 2
    # The peer heard the RECOVER broadcast (published on the replica) and stopped serving
    # the old value at once, fault or not.
    assert last_time < written_at + 0.5


def test_a_full_redis_with_noeviction_gives_no_error_and_nothing_stale(private_layer, private_redis, make_data_type):
    widget = _cached_widget(private_layer)
    peer = start_worker("observe", str(widget.pk), "6", env={"CACHING_REDIS_URL": private_redis.url})
    assert read_json_line(peer) == {"ready": True}
    make_data_type(name="basket", strategy="write_through", levels=("l2",), loader=lambda i: {"version": 0},
                       version_of=lambda value: value["version"])
    assert private_layer.put("basket", 1, lambda: {"version": 1})
    redis = private_redis.client()
    redis.config_set("maxmemory-policy", "noeviction")
    redis.config_set("maxmemory", 1)  # every write that needs memory: OOM
    try:
        written_at = _set_price(widget, 2)
        assert _price(widget.pk) == 2
        assert not private_layer.put("basket", 1, lambda: {"version": 2})  # refused: dropped, never left stale
        assert caching.get_or_load("basket", 1) == {"version": 0}
        fresh = Widget.objects.create(name="nut", price=7)
        assert _price(fresh.pk) == 7
        assert PendingInvalidation.objects.exists()
        time.sleep(1)  # the fault lasts: the peer must not wait for its end to stop serving price=1
    finally:
        redis.config_set("maxmemory", 0)
    assert wait_for(lambda: _price(widget.pk) == 2 and not PendingInvalidation.objects.exists())
    assert _cached_price(private_layer, widget.pk) in (None, 2)
    assert caching.get_or_load("basket", 1) == {"version": 0}
    report = read_json_line(peer, timeout=30)
    peer.wait(10)
    # Its link stayed up all along (a full server still delivers pub/sub): the RECOVER
    # broadcast is what made it stop serving the old value.
    assert report["errors"] == 0 and report["seen"][-1][1] == 2
    assert report["seen"][-1][0] < written_at + 0.5


def test_a_paused_redis_gives_no_error_and_nothing_stale_after_the_pause(private_layer, private_redis):
    widget = _cached_widget(private_layer)
    private_redis.client().client_pause(1500, all=False)  # CLIENT PAUSE 1500 WRITE: reads answer, writes wait
    paused_until = time.time() + 1.5
    _set_price(widget, 2)
    assert _price(widget.pk) == 2
    assert time.time() < paused_until  # all of that during the pause
    assert wait_for(lambda: time.time() > paused_until + 0.1)
    assert wait_for(lambda: _price(widget.pk) == 2 and not PendingInvalidation.objects.exists())
    assert _cached_price(private_layer, widget.pk) in (None, 2)


def test_a_black_holed_broadcast_link_turns_l1_off_so_no_stale_l1_value_is_served(private_redis, settings,
                                                                                 widget_loader, make_data_type):
    from caching import ModelRule

    make_data_type(name="widget", loader=widget_loader, ttl=60, jitter=0,
                   invalidated_by=(ModelRule(Widget, ids=lambda w, previous: [w.pk]),))
    proxy = BlackHoleProxy(private_redis.port)
    through_proxy = clients.make_client(f"redis://:{private_redis.password}@127.0.0.1:{proxy.port}/0",
                                        cluster=False, timeout=0.1)
    reset_layer()
    layer = get_layer()
    layer.bus._client_factory = lambda: through_proxy  # only the broadcast link goes through the proxy
    layer.bus.ensure_started()
    assert layer.bus.connected.wait(5)
    try:
        widget = _cached_widget(layer)
        assert caching.fetch("widget", widget.pk).status is Status.HIT_L1
        proxy.black_hole()
        # Another process changes the widget; its broadcast never reaches us.
        Widget.objects.filter(pk=widget.pk).update(price=2)
        key = layer.registry.get("widget").key(widget.pk)
        private_redis.client().delete(key)
        private_redis.client().publish(layer.bus.channel, encode(KEYS, [key]))
        # Within the silence bound the link counts as lost: L1 is flushed and off.
        assert wait_for(lambda: not layer.bus.connected.is_set(), timeout=3)
        assert not layer.l1.enabled and len(layer.l1) == 0
        result = caching.fetch("widget", widget.pk)  # a read while the link is down
        assert result.value["price"] == 2 and result.status is not Status.HIT_L1
        proxy.restore()
        assert layer.bus.connected.wait(5) and layer.l1.enabled
        assert _price(widget.pk) == 2
    finally:
        proxy.close()
        reset_layer()


def test_an_invalidation_left_by_a_writer_that_exited_during_an_outage_reaches_a_healthy_reader(private_layer,
                                                                                             private_redis,
                                                                                             tmp_path):
    widget = _cached_widget(private_layer)
    assert caching.fetch("widget", widget.pk).status is Status.HIT_L1
    proxy = BlackHoleProxy(private_redis.port)
    proxy.black_hole()  # the writer's Redis is unreachable; ours is fine
    try:
        writer = start_worker("write_and_exit", str(widget.pk), "2", env={
            "CACHING_REDIS_URL": f"redis://:{private_redis.password}@127.0.0.1:{proxy.port}/0"})
        assert read_json_line(writer, timeout=30) == {"pending": 1}
        assert writer.wait(30) == 0
    finally:
        proxy.close()
    # Nobody told this process (the writer's broadcast was lost with its Redis): it still
    # serves the old value, until the periodic drain applies the outbox.
    assert _price(widget.pk) == 1
    log = tmp_path / "worker.log"
    beat = start_celery_worker("drain", log=log, beat_schedule=tmp_path / "beat-schedule", loglevel="WARNING",
                               env=worker_env(CACHE_OUTBOX_DRAIN_SECONDS="0.5", CACHING_REDIS_URL=private_redis.url))
    try:
        # This process only reads: the drain (in the Celery worker) applies the outbox and
        # broadcasts it, which drops the value from this process's L1 too.
        assert wait_for(lambda: _price(widget.pk) == 2, timeout=30), log.read_text()[-2000:]
        assert not PendingInvalidation.objects.exists()
        assert not private_layer.recovery.needed
    finally:
        beat.terminate()
        beat.wait(15)


def test_forced_eviction_under_load_with_invalidations_in_flight_leaves_nothing_stale(private_layer, private_redis,
                                                                                     make_data_type):
    make_data_type(name="finder", strategy="generational", namespace="widgets", levels=("l1", "l2"),
                   loader=lambda q: sorted(Widget.objects.filter(name__startswith=q).values_list("price", flat=True)),
                   invalidated_by=(caching.ModelRule(Widget),))
    widgets = [Widget.objects.create(name=f"w{i}", price=0) for i in range(12)]
    redis = private_redis.client()
    redis.config_set("maxmemory", 2 * 1024 * 1024)
    redis.config_set("maxmemory-policy", "allkeys-lru")
    stop = threading.Event()
    errors = []

    def in_thread(fn):
        def run():
            close_old_connections()
            try:
                while not stop.is_set():
                    fn()
            except Exception as exc:  # the test wants none
                errors.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    filler_key = iter(range(10**9))
    threads = [
        in_thread(lambda: _price(random.choice(widgets).pk)),
        in_thread(lambda: _price(random.choice(widgets).pk)),
        in_thread(lambda: caching.get_or_load("finder", "w")),
        in_thread(lambda: redis.set(f"filler:{next(filler_key)}", b"x" * 20_000)),  # memory pressure
    ]
    for price in range(1, 16):
        for widget in widgets:
            _set_price(widget, price)
    stop.set()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert redis.info("stats")["evicted_keys"] > 0
    private_layer.bus.sync()
    for widget in widgets:
        assert _price(widget.pk) == 15
        assert _cached_price(private_layer, widget.pk) in (None, 15)
    assert caching.get_or_load("finder", "w") == [15] * len(widgets)


def test_a_cluster_unreachable_when_the_client_is_built_still_fails_open(settings, make_data_type, widget_loader,
                                                                          db):
    from caching.counters import WindowCounter
    from caching.tests.redis_process import point_layer_at

    # RedisCluster connects while it is built: that must happen behind the error model too.
    point_layer_at(settings, f"redis://127.0.0.1:{free_port()}/0", REDIS_CLUSTER=True)
    try:
        make_data_type(name="finder", strategy="generational", namespace="widgets", loader=lambda q: [q])
        make_data_type(name="basket", strategy="write_through", levels=("l2",), loader=lambda i: {"version": 0},
                       version_of=lambda value: value["version"])
        assert caching.fetch("finder", "q") == (["q"], Status.BYPASS)
        assert get_layer().put("basket", 1, lambda: {"version": 1}) is False
        assert caching.get_or_load("basket", 1) == {"version": 0}
        assert WindowCounter("test").hit("k", window=1)[0] == 1  # counted in this process instead
    finally:
        reset_layer()
