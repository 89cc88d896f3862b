"""HTTP benchmark: the same gunicorn and the same load generator (wrk) for every variant.

    make bench          (services, migrations and a demo catalog are set up first)

Each round serves every settings variant in turn (bench/variants/), so ratios
are computed within a round, pair by pair, and the medians of the rounds are
reported. Writes bench/RESULTS.md.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
DURATION = os.environ.get("BENCH_DURATION", "5s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 16))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
PORT = int(os.environ.get("BENCH_PORT", 8099))


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.variants.layer_on")
    django.setup()


def pick_targets() -> dict:
    """A product, a category and a search term from the database."""
    from catalog.models import Category, Product

    product = Product.objects.filter(is_active=True).order_by("id").first()
    category = Category.objects.filter(is_active=True, products__isnull=False).order_by("id").first()
    word = product.name.split()[-1].lower()
    return {
        "product": f"/api/v1/products/{product.id}/",
        "product_count": Product.objects.order_by("-id").values_list("id", flat=True).first(),
        "listing": f"/api/v1/categories/{category.slug}/products/",
        "search": f"/api/v1/search/?q={word}",
    }


class Server:
    def __init__(self, settings_module: str, env: dict, *, worker_args: tuple[str, ...] = ("--worker-class", "sync")):
        self.settings_module = settings_module
        self.env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": settings_module}
        self.worker_args = worker_args

    def __enter__(self):
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "shop.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
             "--workers", str(WORKERS), *self.worker_args, "--no-control-socket", "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn with {self.settings_module} did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(15)

    def warm(self, path: str, times: int = 50) -> str:
        x_cache = ""
        for _ in range(times):
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=10) as response:
                x_cache = response.headers.get("X-Cache", "")
        return x_cache


def wrk(path: str, *, spread_ids: int = 0) -> dict:
    env = {**os.environ, "WRK_IDS": str(spread_ids), "WRK_PREFIX": "/api/v1/products/"}
    completed = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "-s", str(ROOT / "bench" / "wrk_report.lua"),
         f"http://127.0.0.1:{PORT}{path}"],
        env=env, capture_output=True, text=True, check=True,
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    report["rps"] = report["requests"] / (report["duration_us"] / 1e6)
    return report


# (label, settings variant, target key, wrk options, expected X-Cache after warm-up)
MEASUREMENTS = [
    ("floor: constant DRF body, product-sized", "bench.variants.layer_on", "floor", {}, "FLOOR"),
    ("product detail, L1 hit", "bench.variants.layer_on", "product", {}, "HIT-L1"),
    ("product detail, L2 hit", "bench.variants.layer_l2_only", "product", {}, "HIT-L2"),
    ("product detail, miss (every read loads), ids spread", "bench.variants.layer_miss", "product_spread", {}, ""),
    ("product detail, layer off", "bench.variants.layer_off", "product", {}, "BYPASS"),
    ("product detail, layer off, ids spread", "bench.variants.layer_off", "product_spread", {}, "BYPASS"),
    ("product detail, django-cachalot", "bench.variants.cachalot", "product", {}, "BYPASS"),
    ("product detail, django-cacheops", "bench.variants.cacheops", "product", {}, "BYPASS"),
    ("category listing, layer on", "bench.variants.layer_on", "listing", {}, "HIT-L1"),
    ("category listing, layer off", "bench.variants.layer_off", "listing", {}, "BYPASS"),
    ("search, layer on", "bench.variants.layer_on", "search", {}, "HIT-L2"),
    ("search, layer off", "bench.variants.layer_off", "search", {}, "BYPASS"),
]


def run() -> dict[str, list[dict]]:
    setup_django()
    targets = pick_targets()
    env = {"BENCH_FLOOR_BYTES": str(_product_body_size(targets["product"]))}
    results: dict[str, list[dict]] = {label: [] for label, *_ in MEASUREMENTS}
    by_variant: dict[str, list] = {}
    for measurement in MEASUREMENTS:
        by_variant.setdefault(measurement[1], []).append(measurement)
    for round_number in range(1, ROUNDS + 1):
        for variant, measurements in by_variant.items():
            with Server(variant, env) as server:
                for label, _, target, _, expected in measurements:
                    spread = 0
                    if target == "floor":
                        path = "/bench/floor/"
                    elif target == "product_spread":
                        path, spread = targets["product"], targets["product_count"]
                    else:
                        path = targets[target]
                    x_cache = server.warm(path)
                    if expected and x_cache != expected:
                        say(f"  warning: {label} answered X-Cache {x_cache!r}, expected {expected!r}")
                    report = wrk(path, spread_ids=spread)
                    results[label].append(report)
                    say(f"round {round_number}/{ROUNDS} {label}: {report['rps']:.0f} req/s, "
                        f"p95 {report['p95_us'] / 1000:.1f} ms, timeouts {report['errors']}, "
                        f"non-2xx {report['non2xx']}")
    return results


def _product_body_size(path: str) -> int:
    from django.test import Client

    return len(Client().get(path).content)


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def report(results: dict[str, list[dict]]) -> str:
    floor = results[MEASUREMENTS[0][0]]
    off_of = {
        "product detail, L1 hit": "product detail, layer off",
        "product detail, L2 hit": "product detail, layer off",
        "product detail, miss (every read loads), ids spread": "product detail, layer off, ids spread",
        "category listing, layer on": "category listing, layer off",
        "search, layer on": "search, layer off",
    }
    rows = []
    for label, *_ in MEASUREMENTS:
        runs = results[label]
        vs_floor = median([run["rps"] / base["rps"] for run, base in zip(runs, floor, strict=True)])
        vs_off = ""
        if label in off_of:
            off = results[off_of[label]]
            vs_off = f"{median([run['rps'] / base['rps'] for run, base in zip(runs, off, strict=True)]):.2f}x"
        rows.append(
            f"| {label} | {median([r['rps'] for r in runs]):,.0f} | {vs_floor:.2f}x | {vs_off} | "
            f"{median([r['p50_us'] for r in runs]) / 1000:.2f} | {median([r['p95_us'] for r in runs]) / 1000:.2f} | "
            f"{median([r['p99_us'] for r in runs]) / 1000:.2f} | {sum(r['non2xx'] for r in runs)} | "
            f"{sum(r['errors'] for r in runs)} |"
        )
    l1 = results["product detail, L1 hit"]
    peer_rows = []
    for peer in ("django-cachalot", "django-cacheops"):
        runs = results[f"product detail, {peer}"]
        ratio = median([ours["rps"] / theirs["rps"] for ours, theirs in zip(l1, runs, strict=True)])
        peer_rows.append(f"| product detail, our L1 hit vs {peer} | {ratio:.2f}x | at least 1.5x |")
    from django.db import connection

    header = (
        f"Measured {datetime.date.today().isoformat()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Django {django.get_version()}, {connection.vendor} {getattr(connection, 'mysql_server_info', '')}; "
        f"gunicorn {WORKERS} sync workers, wrk -t2 -c{CONNECTIONS} -d{DURATION}, {ROUNDS} rounds, medians; "
        "ratios computed within each round. Timeouts: wrk gave up on a request after 2 s."
    )
    table = "\n".join([
        "| endpoint and variant | req/s | vs floor | vs layer off | p50 ms | p95 ms | p99 ms | non-2xx | timeouts |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
    ])
    peers = "\n".join(["| comparison (req/s, same round) | ratio | target |", "|---|---|---|", *peer_rows])
    return f"# HTTP benchmark\n\n{header}\n\n{table}\n\n{peers}\n"


def redis_outage(targets: dict, env: dict) -> dict:
    """wrk for 20 s on product details spread over the catalog; redis-server is stopped
    from second 5 to second 15. Counts the responses that were not 2xx."""
    import threading

    port = os.environ.get("TEST_REDIS_PORT", "6391")
    with Server("bench.variants.layer_on", env) as server:
        server.warm(targets["product"])
        outcome: dict = {}
        duration = os.environ.get("BENCH_OUTAGE_DURATION", "20s")
        load = threading.Thread(target=lambda: outcome.update(
            _wrk_for(targets["product"], duration, spread_ids=targets["product_count"])))
        load.start()
        time.sleep(5)
        subprocess.run([str(ROOT / "scripts/redis.sh"), "stop", port], check=True, capture_output=True)
        time.sleep(10)
        subprocess.run([str(ROOT / "scripts/redis.sh"), "start", port], check=True, capture_output=True)
        load.join()
    say(f"Redis outage: {outcome['requests']} requests, {outcome['non2xx']} non-2xx, {outcome['errors']} timeouts")
    return outcome


def worker_counters(workers: int = WORKERS) -> tuple[int, int]:
    """(product loads, Redis errors) counted by the gunicorn workers themselves, summed."""
    seen: dict[int, tuple[int, int]] = {}
    for _ in range(200):
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/l1/", timeout=5) as response:
            body = json.loads(response.read())
        seen[body["pid"]] = (int(body["loads"]), int(body["redis_errors"]))
        if len(seen) == workers:
            return sum(v[0] for v in seen.values()), sum(v[1] for v in seen.values())
    raise RuntimeError("could not reach every worker")


def stampede_loads(targets: dict, env: dict, clients: int = 200) -> dict:
    """`clients` connections ask for one product that is not cached, all at once; the loads are
    what the workers' own counters say."""
    import caching

    product_id = int(targets["product"].rstrip("/").rsplit("/", 1)[1])
    data_type = caching.registry.get("product")
    # gthread workers with enough threads, so that all the clients are in flight at once.
    threads = str(clients // WORKERS + 1)
    with Server("bench.variants.layer_on", env, worker_args=("--worker-class", "gthread", "--threads", threads)):
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=5).read()
        from caching.handler import get_layer

        get_layer().apply_invalidation([data_type.key(product_id)], [])
        loads_before, errors_before = worker_counters()
        completed = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", "-d2s", "--timeout", "10s", "-s", str(ROOT / "bench/wrk_report.lua"),
             f"http://127.0.0.1:{PORT}{targets['product']}"],
            capture_output=True, text=True, check=True,
        )
        loads_after, errors_after = worker_counters()
    loads, errors = loads_after - loads_before, errors_after - errors_before
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    say(f"stampede: {clients} connections on one cold product: {loads} load(s), {report['requests']} requests, "
        f"{errors} Redis errors (timeouts fail open)")
    return {"clients": clients, "loads": loads, "requests": report["requests"], "redis_errors": errors}


def _wrk_for(path: str, duration: str, *, spread_ids: int) -> dict:
    global DURATION
    saved, DURATION = DURATION, duration
    try:
        return wrk(path, spread_ids=spread_ids)
    finally:
        DURATION = saved


def edit_to_visible_ms(targets: dict, env: dict, samples: int = 10) -> float:
    """Commit a price change here; time until another process (gunicorn) serves the new price."""
    from decimal import Decimal

    from django.db import transaction

    from catalog.models import Product

    product_id = int(targets["product"].rstrip("/").rsplit("/", 1)[1])
    url = f"http://127.0.0.1:{PORT}{targets['product']}"
    lags = []
    with Server("bench.variants.layer_on", env) as server:
        for n in range(samples):
            server.warm(targets["product"], times=20)
            price = Decimal("1000.00") + n
            started = time.perf_counter()
            with transaction.atomic():
                product = Product.objects.select_for_update().get(pk=product_id)
                product.price = price
                product.save()
            while json.loads(urllib.request.urlopen(url, timeout=5).read())["price"] != str(price):
                time.sleep(0.0005)
            lags.append((time.perf_counter() - started) * 1000)
    say(f"edit to visible in another process: median {median(lags):.2f} ms")
    return median(lags)


def behaviour_report(outage: dict, lag_ms: float, stampede: dict | None = None) -> str:
    stampede_rows = [] if stampede is None else [
        f"| loads when {stampede['clients']} connections miss one product at once "
        f"({stampede['requests']:,} requests in 2 s) | {stampede['loads']} | exactly 1 |"]
    return "\n".join([
        "",
        "| behaviour | figure | target |",
        "|---|---|---|",
        *stampede_rows,
        f"| responses that were not 2xx while redis-server was stopped for 10 s of a 20 s run "
        f"({outage['requests']:,} requests) | {outage['non2xx']} (timeouts: {outage['errors']}) | 0 |",
        f"| from a product edit's commit to the new value served by another process (median of 10) | "
        f"{lag_ms:.1f} ms | under 100 ms |",
        "",
    ])


def main() -> None:
    out = ROOT / "bench" / "out"
    if "--stampede-only" in sys.argv:  # measure the stampede figure again, keep the others
        setup_django()
        targets = pick_targets()
        behaviour = json.loads((out / "behaviour.json").read_text())
        behaviour["stampede"] = stampede_loads(targets, {"BENCH_FLOOR_BYTES": "1000"})
        (out / "behaviour.json").write_text(json.dumps(behaviour))
        return
    if "--report-only" in sys.argv:  # render RESULTS.md again from the last run's figures
        setup_django()
        behaviour = json.loads((out / "behaviour.json").read_text())
        text = report(json.loads((out / "http.json").read_text()))
        text += behaviour_report(behaviour["outage"], behaviour["lag_ms"], behaviour.get("stampede"))
        workload_results = ROOT / "bench" / "WORKLOAD_RESULTS.md"
        if workload_results.exists():
            text += "\n" + workload_results.read_text().replace("# Zipf workload", "## Zipf workload")
        RESULTS.write_text(text)
        print(RESULTS.read_text())
        return
    results = run()
    out.mkdir(exist_ok=True)
    (out / "http.json").write_text(json.dumps(results, indent=1))
    targets = pick_targets()
    env = {"BENCH_FLOOR_BYTES": str(_product_body_size(targets["product"]))}
    stampede = stampede_loads(targets, env)
    outage = redis_outage(targets, env)
    lag_ms = edit_to_visible_ms(targets, env)
    (out / "behaviour.json").write_text(json.dumps({"outage": outage, "lag_ms": lag_ms, "stampede": stampede}))
    text = report(results) + behaviour_report(outage, lag_ms, stampede)
    if "--with-workload" in sys.argv:
        from bench import shop_mix, workload

        text += "\n" + workload.run_workload().replace("# Zipf workload", "## Zipf workload")
        text += "\n" + shop_mix.main().replace("# A shop's traffic", "## A shop's traffic")
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
