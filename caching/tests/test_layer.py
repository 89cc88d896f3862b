"""The layer end to end on real Redis and MariaDB: levels, strategies, invalidation on commit."""
import threading
import time

import pytest
from django.db import transaction

import caching
from caching import DataType, ModelRule, Status
from caching.datatypes import registry
from caching.keys import generation_key
from caching.models import CdnPath
from caching.serializers import unpack
from caching.tests.concurrency import wait_for
from caching.tests.testapp.models import Shelf, Tag, Widget

pytestmark = pytest.mark.django_db(transaction=True)


def redis(layer):
    return layer.tier.client


def test_miss_then_l1_hit_then_l2_hit_after_l1_is_cleared(widget_type, widget_loader, layer):
    widget = Widget.objects.create(name="bolt", price=3)
    layer.bus.sync()  # its own creation's broadcast applied: the reads below are not fenced by it
    first = caching.fetch("widget", widget.pk)
    assert first == (({"id": widget.pk, "name": "bolt", "price": 3}), Status.MISS)
    assert caching.fetch("widget", widget.pk).status is Status.HIT_L1
    layer.l1.clear()
    second = caching.fetch("widget", widget.pk)
    assert second.status is Status.HIT_L2 and second.value == first.value
    assert caching.fetch("widget", widget.pk).status is Status.HIT_L1
    assert widget_loader.calls == 1


def test_a_saved_change_is_read_on_the_next_read_after_commit(widget_type, widget_loader, layer):
    widget = Widget.objects.create(name="bolt", price=3)
    caching.get_or_load("widget", widget.pk)
    with transaction.atomic():
        widget.price = 4
        widget.save()
        # Not committed yet: the old value may still be served.
        assert caching.get_or_load("widget", widget.pk)["price"] == 3
    assert caching.get_or_load("widget", widget.pk)["price"] == 4
    widget.delete()
    with pytest.raises(Widget.DoesNotExist):
        caching.get_or_load("widget", widget.pk)


def test_a_rolled_back_change_invalidates_nothing(widget_type, widget_loader, layer):
    widget = Widget.objects.create(name="bolt", price=3)
    layer.bus.sync()  # its own creation's broadcast applied: the reads below are not fenced by it
    caching.get_or_load("widget", widget.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        widget.price = 99
        widget.save()
        raise RuntimeError("abort")
    assert caching.fetch("widget", widget.pk).status is Status.HIT_L1
    assert widget_loader.calls == 1


def test_disabled_layer_is_a_pass_through(widget_type, widget_loader, layer, settings):
    settings.CACHING = {"ENABLED": False}
    widget = Widget.objects.create(name="bolt")
    assert caching.fetch("widget", widget.pk).status is Status.BYPASS
    assert caching.fetch("widget", widget.pk).status is Status.BYPASS
    assert widget_loader.calls == 2


def test_bypass_strategy_always_loads(make_data_type, layer):
    calls = []
    make_data_type(name="live", strategy="bypass", loader=lambda i: calls.append(i) or i)
    assert caching.fetch("live", 1) == (1, Status.BYPASS)
    caching.get_or_load("live", 1)
    assert calls == [1, 1]


def test_generational_bump_makes_the_whole_namespace_unreachable_in_one_step(make_data_type, layer):
    loads = []
    make_data_type(name="finder", strategy="generational", namespace="catalog", levels=("l2",),
                   loader=lambda query: loads.append(query) or f"results for {query}")
    for query in ("a", "b", "c"):
        caching.get_or_load("finder", query)
    gen_key = generation_key("shop", "catalog")
    first = int(redis(layer).get(gen_key))  # started from the clock by the first read
    assert redis(layer).get("shop:finder:v1:{a}:gens") == str(first).encode()  # built under it
    caching.bump("catalog")
    second = int(redis(layer).get(gen_key))
    assert second > first  # generations only go up
    # The old entries are still in Redis, untouched (no SCAN/DEL), but older than the namespace.
    assert redis(layer).exists("shop:finder:v1:{a}")
    for query in ("a", "b", "c"):
        assert caching.fetch("finder", query).status is Status.MISS  # max_staleness 0: never served stale
    assert loads == ["a", "b", "c", "a", "b", "c"]
    assert redis(layer).get("shop:finder:v1:{a}:gens") == str(second).encode()


def test_a_stale_generational_entry_is_served_within_its_bound_while_one_refresh_rebuilds_it(make_data_type,
                                                                                             layer):
    loads = []
    make_data_type(name="finder", strategy="generational", namespace="catalog", levels=("l1", "l2"),
                   max_staleness=60, loader=lambda query: loads.append(query) or f"results {len(loads)}")
    assert caching.get_or_load("finder", "a") == "results 1"
    caching.bump("catalog")
    assert layer.bus.sync()
    # Right after the bump: the previous entry, at once, and one refresh in the background.
    stale = [caching.fetch("finder", "a") for _ in range(5)]
    assert {result.value for result in stale} <= {"results 1", "results 2"}
    assert stale[0] == ("results 1", Status.STALE)
    assert wait_for(lambda: caching.fetch("finder", "a") == ("results 2", Status.HIT_L1)
                    or caching.fetch("finder", "a") == ("results 2", Status.HIT_L2))
    assert loads == ["a", "a"]  # exactly one rebuild


def test_an_entry_stale_for_longer_than_its_bound_is_loaded_before_it_is_served(make_data_type, layer):
    make_data_type(name="finder", strategy="generational", namespace="catalog", levels=("l2",),
                   max_staleness=0.2, loader=lambda query: f"results {time.monotonic()}")
    first = caching.get_or_load("finder", "a")
    caching.bump("catalog")
    time.sleep(0.3)
    assert caching.fetch("finder", "a").status is Status.MISS
    assert caching.get_or_load("finder", "a") != first


def test_a_lost_generation_starts_over_from_the_clock_never_from_an_old_value(make_data_type, layer):
    make_data_type(name="finder", strategy="generational", namespace="catalog", levels=("l2",),
                   loader=lambda query: f"results for {query}")
    caching.get_or_load("finder", "a")
    gen_key = generation_key("shop", "catalog")
    before = int(redis(layer).get(gen_key))
    redis(layer).delete(gen_key)  # as an eviction would
    layer.l1.clear()
    assert caching.fetch("finder", "a").status is Status.MISS  # the old entry is not reachable
    assert int(redis(layer).get(gen_key)) > before


def test_generational_type_is_bumped_by_any_change_of_its_models(make_data_type, layer):
    make_data_type(name="finder", strategy="generational", namespace="catalog", levels=("l2",),
                   loader=lambda q: list(Widget.objects.filter(name__contains=q).values_list("name", flat=True)),
                   invalidated_by=(ModelRule(Widget),))
    assert caching.get_or_load("finder", "bo") == []
    Widget.objects.create(name="bolt")
    assert caching.get_or_load("finder", "bo") == ["bolt"]


def _basket(make_data_type):
    return make_data_type(name="basket", strategy="write_through", levels=("l2",), serializer="json",
                          loader=lambda basket_id: {"version": 0}, version_of=lambda value: value["version"])


def test_write_through_keeps_the_newest_version(make_data_type, layer):
    _basket(make_data_type)
    assert layer.put("basket", 7, lambda: {"version": 2}) is True
    assert layer.put("basket", 7, lambda: {"version": 1}) is False  # arrived late: refused
    assert caching.fetch("basket", 7) == ({"version": 2}, Status.HIT_L2)
    assert layer.put("basket", 7, lambda: {"version": 3}) is True
    assert caching.get_or_load("basket", 7) == {"version": 3}


def test_write_through_put_reads_after_the_commit(make_data_type, layer):
    _basket(make_data_type)
    read = []
    with transaction.atomic():
        caching.put("basket", 1, lambda: read.append(1) or {"version": 5})
        assert read == [] and redis(layer).exists("shop:basket:v1:{1}") == 0
    assert read == [1]
    assert caching.get_or_load("basket", 1) == {"version": 5}


def test_a_write_through_read_before_an_invalidation_is_not_stored_after_it(make_data_type, layer):
    _basket(make_data_type)
    has_read, may_store = threading.Event(), threading.Event()

    def paused_loader():
        value = {"version": 1, "price": "10.00"}  # what the database said...
        has_read.set()
        assert may_store.wait(10)  # ...before a change of what it shows was invalidated
        return value

    writer = threading.Thread(target=lambda: layer.put("basket", 1, paused_loader))
    writer.start()
    assert has_read.wait(10)
    caching.invalidate("basket", 1)  # e.g. the price of a product in the basket changed
    may_store.set()
    writer.join(10)
    assert redis(layer).exists("shop:basket:v1:{1}") == 0  # refused: the next read loads afresh
    assert caching.get_or_load("basket", 1) == {"version": 0}


def test_stale_entry_is_served_while_another_process_holds_the_refresh_lease(widget_type, widget_loader, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    caching.get_or_load("widget", widget.pk)
    key = widget_type.key(widget.pk)
    _rewrite_envelope(layer, key, soft_in=-1, delta=0.001)
    layer.l1.clear()
    Widget.objects.filter(pk=widget.pk).update(price=2)  # no signal: the entry stays, now stale
    redis(layer).set(key + ":lease", "someone-else", px=5000)
    stale = caching.fetch("widget", widget.pk)
    assert stale == ({"id": widget.pk, "name": "bolt", "price": 1}, Status.STALE)
    redis(layer).delete(key + ":lease")
    refreshed = caching.fetch("widget", widget.pk)
    assert refreshed.value["price"] == 2 and refreshed.status is Status.MISS
    assert caching.fetch("widget", widget.pk).status is Status.HIT_L1


def test_xfetch_refreshes_a_hot_key_before_it_expires(widget_type, widget_loader, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    caching.get_or_load("widget", widget.pk)
    key = widget_type.key(widget.pk)
    strategy = layer.strategies["cache_aside"]
    # Fresh for 0.5 s more, and its load took 0.1 s: refresh when 0.1 * -ln(draw) >= 0.5.
    _rewrite_envelope(layer, key, soft_in=0.5, delta=0.1)
    layer.l1.clear()
    strategy.random = lambda: 0.5  # -ln(0.5) * 0.1 = 0.07: not yet
    assert caching.fetch("widget", widget.pk).status is Status.HIT_L2
    _rewrite_envelope(layer, key, soft_in=0.5, delta=0.1)
    layer.l1.clear()
    strategy.random = lambda: 0.001  # -ln(0.001) * 0.1 = 0.69: refresh early
    assert caching.fetch("widget", widget.pk).status is Status.MISS
    assert widget_loader.calls == 2


def test_large_values_are_compressed_in_redis(make_data_type, layer, settings):
    settings.CACHING = {"COMPRESS_THRESHOLD": 1000}
    make_data_type(name="blob", serializer="raw", levels=("l2",), loader=lambda i: b"x" * 50_000)
    assert caching.get_or_load("blob", 1) == b"x" * 50_000
    stored = redis(layer).get("shop:blob:v1:{1}")
    assert len(stored) < 1000
    assert unpack(stored).payload == b"x" * 50_000


def test_moving_a_row_invalidates_its_old_and_new_owner(make_data_type, layer):
    loads = []
    make_data_type(
        name="shelf_listing", levels=("l1", "l2"),
        loader=lambda shelf_id: loads.append(shelf_id) or sorted(
            Widget.objects.filter(shelf_id=shelf_id).values_list("name", flat=True)),
        invalidated_by=(ModelRule(Widget, ids=lambda w, previous: [w.shelf_id, (previous or {}).get("shelf_id")],
                                  track=("shelf_id",)),),
    )
    left, right = Shelf.objects.create(name="left"), Shelf.objects.create(name="right")
    widget = Widget.objects.create(name="bolt", shelf=left)
    assert caching.get_or_load("shelf_listing", left.pk) == ["bolt"]
    assert caching.get_or_load("shelf_listing", right.pk) == []
    widget.shelf = right
    widget.save()
    assert caching.get_or_load("shelf_listing", left.pk) == []
    assert caching.get_or_load("shelf_listing", right.pk) == ["bolt"]


def test_m2m_changes_invalidate(make_data_type, layer):
    make_data_type(
        name="widget_tags",
        loader=lambda widget_id: sorted(Widget.objects.get(pk=widget_id).tags.values_list("name", flat=True)),
        invalidated_by=(ModelRule(Widget, ids=lambda w, previous: [w.pk], m2m=("tags",)),),
    )
    widget = Widget.objects.create(name="bolt")
    tag = Tag.objects.create(name="steel")
    assert caching.get_or_load("widget_tags", widget.pk) == []
    widget.tags.add(tag)
    assert caching.get_or_load("widget_tags", widget.pk) == ["steel"]
    tag.widget_set.remove(widget)  # the reverse side
    assert caching.get_or_load("widget_tags", widget.pk) == []


def test_queryset_update_and_bulk_create_invalidate_through_the_helpers(widget_type, widget_loader, layer):
    from caching.invalidation import invalidate_instances, invalidating

    widget = Widget.objects.create(name="bolt", price=1)
    caching.get_or_load("widget", widget.pk)
    with invalidating(Widget.objects.filter(pk=widget.pk)) as queryset:
        queryset.update(price=5)
    assert caching.get_or_load("widget", widget.pk)["price"] == 5

    caching.get_or_load("widget", widget.pk)
    Widget.objects.filter(pk=widget.pk).update(price=6)  # no helper: no signal, stays cached
    assert caching.get_or_load("widget", widget.pk)["price"] == 5
    invalidate_instances([widget])
    assert caching.get_or_load("widget", widget.pk)["price"] == 6


def test_cdn_paths_are_written_to_the_outbox_in_the_changes_transaction(widget_type, layer, settings):
    settings.CACHING = {**settings.CACHING, "CDN_DISTRIBUTION_ID": "E-TEST"}
    with transaction.atomic():
        widget = Widget.objects.create(name="bolt")
        # Written with the change, before the commit: one transaction holds both.
        assert list(CdnPath.objects.values_list("distribution", "path")) == [
            ("E-TEST", f"/api/v1/widgets/{widget.pk}/")]
    with pytest.raises(RuntimeError), transaction.atomic():
        Widget.objects.filter(pk=widget.pk).first().save()
        raise RuntimeError("rolled back")
    assert CdnPath.objects.count() == 1  # the rolled back change took its path with it


def test_no_cdn_paths_are_recorded_without_a_distribution(widget_type, layer):
    Widget.objects.create(name="bolt")
    assert not CdnPath.objects.exists()


def test_explicit_invalidate_and_cached_decorator(widget_type, widget_loader, layer):
    widget = Widget.objects.create(name="bolt", price=1)
    calls = []

    @caching.cached("widget", key=lambda widget_id: widget_id)
    def widget_summary(widget_id):
        calls.append(widget_id)
        return {"id": widget_id, "price": Widget.objects.get(pk=widget_id).price}

    assert widget_summary(widget.pk)["price"] == 1
    Widget.objects.filter(pk=widget.pk).update(price=9)
    assert widget_summary(widget.pk)["price"] == 1
    caching.invalidate("widget", widget.pk)
    assert widget_summary(widget.pk)["price"] == 9
    assert calls == [widget.pk, widget.pk]


def test_counters_count_hits_misses_and_loads(widget_type, layer):
    from caching.metrics import snapshot

    widget = Widget.objects.create(name="bolt")
    layer.bus.sync()  # its own creation's broadcast applied: the reads below are not fenced by it
    before = snapshot()
    caching.get_or_load("widget", widget.pk)
    caching.get_or_load("widget", widget.pk)
    after = snapshot()

    def delta(group, name):
        return after[group].get(name, 0) - before[group].get(name, 0)

    assert delta("lookups", "widget:l2:miss") == 1
    assert delta("lookups", "widget:l1:hit") == 1
    assert delta("loads", "widget") == 1


def test_unknown_data_type_is_a_clear_error(layer):
    with pytest.raises(LookupError, match="no cache data type named 'nope'"):
        caching.get_or_load("nope", 1, lambda: 1)
    with pytest.raises(ValueError):
        registry.register(DataType(name="bad", strategy="sometimes"))


def _rewrite_envelope(layer, key: str, *, soft_in: float, delta: float) -> None:
    """Set an entry's soft expiry and load time, keeping it in Redis (as time passing would)."""
    from caching.serializers import pack

    client = redis(layer)
    envelope = unpack(client.get(key))
    client.set(key, pack(envelope.payload, soft_expires_at=time.time() + soft_in, delta=delta,
                         compress_threshold=0), px=10_000)


