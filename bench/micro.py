"""Micro-benchmarks of the cache layer, each against a baseline measured in the same run.

    make bench-micro            (or: python -m bench.micro, with the services up)

Figures: L1 hit, L2 hit and miss-plus-load per operation, against a dict look-up
and a raw redis-py GET of the same bytes; loads caused by 200 concurrent misses;
time for an invalidation to reach another process's L1; what metrics and hot-key
sampling cost an L1 hit, each against the bare L1 hit in the same rounds. Medians of
several rounds.
"""
from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.db import connection  # noqa: E402

import caching  # noqa: E402
from caching import DataType, register  # noqa: E402
from caching.handler import get_layer, redis_client  # noqa: E402
from catalog.models import Product  # noqa: E402

from .stats import markdown_table, median, paired_us, per_op_us  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "MICRO_RESULTS.md"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 7))
OPS = int(os.environ.get("BENCH_OPS", 20_000))


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_products() -> list[int]:
    if Product.objects.count() < 1000:
        from django.core.management import call_command

        call_command("seed_catalog", products=1000, categories=10)
    return list(Product.objects.order_by("id").values_list("id", flat=True)[:1000])


def product_bytes(product_id: int) -> bytes:
    product = Product.objects.select_related("category").get(pk=product_id)
    return orjson.dumps({
        "id": product.id, "sku": product.sku, "name": product.name, "slug": product.slug,
        "description": product.description * 12, "price": str(product.price), "stock": product.stock,
        "category": {"id": product.category_id, "slug": product.category.slug}, "attributes": product.attributes,
    })


def main() -> None:
    product_ids = ensure_products()
    layer = get_layer()
    layer.bus.ensure_started()
    layer.bus.connected.wait(5)
    pid = product_ids[0]
    payload = product_bytes(pid)
    register(DataType(name="bench_l1", serializer="raw", ttl=3600, jitter=0, l1_ttl=3600, loader=product_bytes))
    register(DataType(name="bench_l2", serializer="raw", ttl=3600, jitter=0, levels=("l2",), loader=product_bytes))
    register(DataType(name="bench_miss", serializer="raw", ttl=3600, jitter=0, levels=("l2",)))
    client = redis_client()
    rows = []

    say(f"payload: {len(payload)} bytes; {ROUNDS} rounds of {OPS} operations each")
    plain = {"k": payload}
    dict_us = per_op_us(lambda: plain["k"], ops=OPS, rounds=ROUNDS)
    say(f"dict look-up: {dict_us:.3f} us")

    client.set("bench:raw", payload)

    while caching.fetch("bench_l1", pid).status != "HIT-L1":
        pass
    l1_us = per_op_us(lambda: caching.get_or_load("bench_l1", pid), ops=OPS, rounds=ROUNDS)
    say(f"L1 hit: {l1_us:.2f} us")

    while caching.fetch("bench_l2", pid).status != "HIT-L2":
        pass
    raw_us, l2_us, l2_ratio = paired_us(lambda: client.get("bench:raw"), lambda: caching.get_or_load("bench_l2", pid),
                                        ops=OPS // 4, rounds=ROUNDS * 3)
    say(f"raw redis-py GET: {raw_us:.1f} us; L2 hit: {l2_us:.1f} us ({l2_ratio:.2f}x)")

    data_type = layer.registry.get("bench_miss")
    key = data_type.key(pid)
    orm_samples, miss_samples, miss_ratios = [], [], []
    for _ in range(ROUNDS):
        orm = per_op_us(lambda: product_bytes(pid), ops=300, rounds=1)
        total = 0.0
        for _ in range(300):
            layer.apply_invalidation([key], [])
            started = time.perf_counter()
            result = caching.fetch("bench_miss", pid, lambda: product_bytes(pid))
            total += time.perf_counter() - started
            assert result.status == "MISS"
        miss = total / 300 * 1e6
        orm_samples.append(orm)
        miss_samples.append(miss)
        miss_ratios.append(miss / orm)
    orm_us, miss_us, miss_ratio = median(orm_samples), median(miss_samples), median(miss_ratios)
    say(f"ORM load alone: {orm_us:.1f} us; miss + load: {miss_us:.1f} us ({miss_ratio:.2f}x)")

    overhead = observability_overhead(pid)

    loads = stampede_loads(layer, 200)
    say(f"200 concurrent misses: {loads} load(s)")
    lag_ms = coherence_lag_ms(product_ids[1])
    say(f"invalidation reaches another process's L1: {lag_ms:.2f} ms (median)")

    rows = [
        ["dict look-up (baseline)", f"{dict_us:.3f}", "1.00x of dict", ""],
        ["raw redis-py GET, same bytes (baseline)", f"{raw_us:.1f}", "1.00x of raw GET", ""],
        ["L1 hit (`get_or_load`)", f"{l1_us:.2f}", f"{l1_us / dict_us:.0f}x of dict", "under 5 us"],
        ["L2 hit (`get_or_load`, L2-only type)", f"{l2_us:.1f}", f"{l2_ratio:.2f}x of raw GET", "within 1.3x"],
        ["ORM load alone (baseline for a miss)", f"{orm_us:.1f}", "", ""],
        ["miss + load (`get_or_load` after invalidation)", f"{miss_us:.1f}", f"{miss_ratio:.2f}x of ORM load", ""],
    ]
    bare = overhead["bare"]
    rows += [
        ["L1 hit, metrics and hot-key sampling off (baseline)", f"{bare:.2f}", "1.00x", ""],
        ["L1 hit, metrics on", f"{overhead['metrics']:.2f}",
         f"{overhead['metrics_ratio']:.2f}x (+{overhead['metrics'] - bare:.2f} us)", ""],
        ["L1 hit, metrics and hot-key sampling (1 in 16) on: as shipped", f"{overhead['both']:.2f}",
         f"{overhead['both_ratio']:.2f}x (+{overhead['both'] - bare:.2f} us)", ""],
        ["L1 hit, metrics and hot-key sampling of every look-up", f"{overhead['every']:.2f}",
         f"{overhead['every_ratio']:.2f}x (+{overhead['every'] - bare:.2f} us)", ""],
    ]
    table = markdown_table(["operation", "median us/op", "ratio", "target"], rows)
    behaviour = markdown_table(
        ["behaviour", "figure", "target"],
        [["loads caused by 200 concurrent misses of one key", loads, "exactly 1"],
         ["invalidation visible in another process's L1 (median of 20)", f"{lag_ms:.2f} ms", "under 100 ms"]],
    )
    header = (
        f"Measured {datetime.date.today().isoformat()} on {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Django {django.get_version()}, Redis {client.info()['redis_version']}, "
        f"{connection.vendor} {connection.mysql_server_info if connection.vendor == 'mysql' else ''}; "
        f"payload {len(payload)} bytes; medians of {ROUNDS} rounds."
    )
    report = f"# Cache layer micro-benchmarks\n\n{header}\n\n{table}\n\n{behaviour}\n"
    RESULTS.write_text(report)
    print(report)


def observability_overhead(pid: int) -> dict[str, float]:
    """An L1 hit with and without counting, paired round by round against the bare hit: a
    type registered with metrics off, the hot-key sampler off, 1 in 16 (shipped) or 1 in 1."""
    from caching.conf import settings as caching_settings
    from caching.hotkeys import sampler

    caching_settings.METRICS = False  # read when a data type is registered
    register(DataType(name="bench_bare", serializer="raw", ttl=3600, jitter=0, l1_ttl=3600, loader=product_bytes))
    caching_settings.METRICS = True
    register(DataType(name="bench_counted", serializer="raw", ttl=3600, jitter=0, l1_ttl=3600, loader=product_bytes))
    for name in ("bench_bare", "bench_counted"):
        while caching.fetch(name, pid).status != "HIT-L1":
            pass
    shipped = sampler.mask

    def with_mask(mask: int, name: str):
        def read():
            sampler.mask = mask
            return caching.get_or_load(name, pid)
        return read

    figures = {}
    bare, metrics, figures["metrics_ratio"] = paired_us(with_mask(-1, "bench_bare"), with_mask(-1, "bench_counted"),
                                                        ops=OPS, rounds=ROUNDS)
    bare_2, both, figures["both_ratio"] = paired_us(with_mask(-1, "bench_bare"), with_mask(shipped, "bench_counted"),
                                                    ops=OPS, rounds=ROUNDS)
    bare_3, every, figures["every_ratio"] = paired_us(with_mask(-1, "bench_bare"), with_mask(0, "bench_counted"),
                                                      ops=OPS, rounds=ROUNDS)
    sampler.mask = shipped
    figures.update(bare=median([bare, bare_2, bare_3]), metrics=metrics, both=both, every=every)
    say(f"L1 hit bare {figures['bare']:.2f} us; metrics {metrics:.2f} us; metrics + sampling 1/16 {both:.2f} us; "
        f"sampling every look-up {every:.2f} us")
    return figures


def stampede_loads(layer, clients: int) -> int:
    register(DataType(name="bench_hot", serializer="raw", ttl=3600, jitter=0))
    layer.apply_invalidation([layer.registry.get("bench_hot").key(1)], [])
    loads = []
    barrier = threading.Barrier(clients)

    def slow_loader():
        loads.append(1)
        time.sleep(0.2)
        return b"value"

    def miss():
        barrier.wait()
        caching.get_or_load("bench_hot", 1, slow_loader)

    threads = [threading.Thread(target=miss) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(loads)


def coherence_lag_ms(product_id: int, samples: int = 20) -> float:
    """Another process holds a product in L1; we invalidate it and time until it is gone there."""
    watcher = subprocess.Popen(
        [sys.executable, "-m", "bench.coherence_watcher", str(product_id), str(samples)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    layer = get_layer()
    data_type = layer.registry.get("bench_l1")
    key = data_type.key(product_id)
    lags = []
    for _ in range(samples):
        assert watcher.stdout.readline().strip() == "holding"
        sent_at = time.time()
        layer.apply_invalidation([key], [])
        noticed_at = float(watcher.stdout.readline())
        lags.append((noticed_at - sent_at) * 1000)
    watcher.wait(10)
    return median(lags)


if __name__ == "__main__":
    main()
