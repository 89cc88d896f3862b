"""Zipf(0.99) product reads over the whole seeded catalog, with writes mixed in at 1%.

    make bench-workload     (after make bench's set-up; BENCH_WORKLOAD_SECONDS, default 60)

Warms the product cache first (`manage.py warm_cache`; BENCH_WARM=0 starts cold) and
reports, at that steady state: the hit ratio over time, database statements
per 1,000 reads, p95 at half of the maximum throughput, Redis bytes per cached
product, and the memory L1 uses in each worker. Writes bench/WORKLOAD_RESULTS.md.
"""
from __future__ import annotations

import datetime
import json
import os
import random
import subprocess
import threading
import time
import urllib.request
from decimal import Decimal

from bench.http import CONNECTIONS, PORT, ROOT, Server, median, say, setup_django

SECONDS = int(os.environ.get("BENCH_WORKLOAD_SECONDS", 60))
ZIPF_S = 0.99
WRITE_SHARE = 0.01
RESULTS = ROOT / "bench" / "WORKLOAD_RESULTS.md"


def zipf_id(n: int, s: float = ZIPF_S) -> int:
    """The same inverse-CDF approximation as bench/zipf.lua."""
    top = (n + 1) ** (1 - s) - 1
    return max(1, int((random.random() * top + 1) ** (1 / (1 - s))))


def wrk_zipf(n: int, seconds: int, *, delay_ms: float = 0) -> dict:
    env = {**os.environ, "WRK_N": str(n), "WRK_S": str(ZIPF_S), "WRK_DELAY_MS": str(int(delay_ms))}
    completed = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s", "-s", str(ROOT / "bench/zipf.lua"),
         f"http://127.0.0.1:{PORT}"],
        env=env, capture_output=True, text=True, check=True,
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    report["rps"] = report["requests"] / (report["duration_us"] / 1e6)
    return report


def questions(cursor, scope: str = "GLOBAL") -> int:
    cursor.execute(f"SHOW {scope} STATUS LIKE 'Questions'")
    return int(cursor.fetchone()[1])


class Writer(threading.Thread):
    """Product price changes at a fixed rate, through the ORM: the invalidations happen as in production."""

    def __init__(self, n: int, rate: float):
        super().__init__(daemon=True)
        self.n, self.rate = n, rate
        self.stop = threading.Event()
        self.writes = 0
        self.statements = 0

    def run(self) -> None:
        from django.db import connection, transaction

        from catalog.models import Product

        with connection.cursor() as cursor:
            start = questions(cursor, "SESSION")
        while not self.stop.wait(1 / self.rate):
            with transaction.atomic():
                product = Product.objects.select_for_update().filter(pk=zipf_id(self.n)).first()
                if product is not None:
                    product.price = product.price + Decimal("0.01")
                    product.save()
                    self.writes += 1
        with connection.cursor() as cursor:
            self.statements = questions(cursor, "SESSION") - start - 1
        connection.close()


def hit_ratio_windows(seconds: dict, window: int = 5) -> list[tuple[int, float, int]]:
    ordered = sorted((int(second), counts) for second, counts in seconds.items())
    if not ordered:
        return []
    first = ordered[0][0]
    windows: dict[int, list[int]] = {}
    for second, (hit, miss, other) in ordered:
        w = windows.setdefault((second - first) // window, [0, 0])
        w[0] += hit
        w[1] += hit + miss + other
    return [(index * window, hits / total if total else 0.0, total) for index, (hits, total) in sorted(windows.items())]


def run_workload() -> str:
    """Run the workload; returns its Markdown report (also written to WORKLOAD_RESULTS.md)."""
    setup_django()
    from django.db import connection

    from caching.handler import get_layer, redis_client
    from catalog.models import Product

    n = Product.objects.order_by("-id").values_list("id", flat=True).first()
    client = redis_client()
    client.flushdb(asynchronous=True)  # a million keys: freed in the background
    # The whole catalog must fit: about 600 bytes a product in Redis.
    client.config_set("maxmemory", os.environ.get("BENCH_REDIS_MAXMEMORY", "1500mb"))
    warmed = "cold cache"
    if os.environ.get("BENCH_WARM", "1") != "0":
        from django.core.management import call_command

        started = time.monotonic()
        call_command("warm_cache")
        warmed = f"cache warmed first ({time.monotonic() - started:.0f} s for the catalog)"
    with Server("bench.variants.layer_on", {}) as server:
        server.warm("/bench/l1/", times=1)
        say(f"calibrating on {n:,} products (5 s)...")
        rate = wrk_zipf(n, 5)["rps"]
        say(f"  ~{rate:.0f} req/s; writer at {rate * WRITE_SHARE:.1f} writes/s")
        with connection.cursor() as cursor:
            before = questions(cursor)
        writer = Writer(n, max(rate * WRITE_SHARE, 0.5))
        writer.start()
        say(f"Zipf({ZIPF_S}) reads for {SECONDS} s with 1% writes...")
        full = wrk_zipf(n, SECONDS)
        writer.stop.set()
        writer.join()
        with connection.cursor() as cursor:
            after = questions(cursor)
        read_statements = after - before - writer.statements - 1
        per_thousand = read_statements / full["requests"] * 1000
        windows = hit_ratio_windows(full["seconds"])
        for start, ratio, total in windows:
            say(f"  t={start:>3}s hit ratio {ratio:.1%} ({total} requests)")
        say(f"max throughput {full['rps']:.0f} req/s, p95 {full['p95_us'] / 1000:.1f} ms; "
            f"{per_thousand:.1f} DB statements per 1,000 reads; {writer.writes} writes")

        half_rate = full["rps"] / 2
        # wrk paces by a pause per connection; latency falls as load falls, so the
        # pause that gives half the rate is found by a few short corrections.
        delay_ms = CONNECTIONS * 1000 / half_rate
        for _ in range(3):
            probe = wrk_zipf(n, 4, delay_ms=delay_ms)
            delay_ms = max(1.0, delay_ms * probe["rps"] / half_rate)
        say(f"paced at ~50% ({half_rate:.0f} req/s, {delay_ms:.1f} ms between requests per connection)...")
        half = wrk_zipf(n, 20, delay_ms=delay_ms)
        say(f"  {half['rps']:.0f} req/s, p95 {half['p95_us'] / 1000:.2f} ms")

        stats = {}
        for _ in range(40):
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/l1/", timeout=5) as response:
                body = json.loads(response.read())
                stats[body["pid"]] = body
    data_type = get_layer().registry.get("product")
    sizes = [client.memory_usage(data_type.key(i)) for i in range(1, 2001)]
    sizes = [size for size in sizes if size]
    cached_keys = sum(1 for i in range(1, 2001) if client.exists(data_type.key(i)))
    redis_bytes = median(sizes) if sizes else 0
    steady = [ratio for start, ratio, _ in windows if start >= SECONDS * 2 // 3]
    rows = [
        ["Zipf exponent, products, duration", f"{ZIPF_S}, {n:,}, {SECONDS} s, {warmed}", ""],
        ["writes mixed in", f"{writer.writes} ({writer.writes / full['requests']:.1%} of reads)", "1%"],
        ["maximum throughput", f"{full['rps']:,.0f} req/s (p95 {full['p95_us'] / 1000:.1f} ms)", ""],
        ["hit ratio, last third of the run", f"{sum(steady) / len(steady):.1%}" if steady else "n/a",
         "at least 95%"],
        ["database statements per 1,000 product reads", f"{per_thousand:.1f}", "at most 30"],
        ["p95 at 50% of the maximum throughput",
         f"{half['p95_us'] / 1000:.2f} ms at {half['rps']:,.0f} req/s ({half['rps'] / full['rps']:.0%})",
         "under 10 ms"],
        ["Redis bytes per cached product (median of MEMORY USAGE)", f"{redis_bytes:,.0f}", ""],
        ["L1 per worker (entries, bytes)",
         "; ".join(f"{s['entries']:,} entries, {s['bytes'] / 1e6:.1f} MB" for s in stats.values()), ""],
        ["non-2xx / timeouts", f"{full['non2xx'] + half['non2xx']} / {full['errors'] + half['errors']}", "0"],
    ]
    curve = " · ".join(f"{start}s {ratio:.0%}" for start, ratio, _ in windows)
    text = "\n".join([
        "# Zipf workload",
        "",
        f"Measured {datetime.date.today().isoformat()}: {os.cpu_count()} cores; gunicorn 2 sync workers, "
        f"wrk -t2 -c{CONNECTIONS}; layer on; {cached_keys} of products 1-2000 cached at the end.",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
        f"Hit ratio over time (5 s windows): {curve}",
        "",
    ])
    RESULTS.write_text(text)
    return text


if __name__ == "__main__":
    print(run_workload())
