"""A shop's traffic, layer on and layer off in one run: `make bench-shop` (also part of `make bench`).

Three wrk processes at once, one per kind of read, over the million-product catalog:
product details (Zipf(0.99) over the ids), category listings (a random category or
the whole catalog, pages 1-5, a random order) and searches (one or two words of the
catalog's vocabulary, pages 1-5); meanwhile 5 writes a second through the ORM (price
edits and checkouts, half each), and a probe that measures how long a price edit
takes to reorder its listing. Layer on: from a flushed cache (warming starts at once,
as beat's warm_if_cold would), then the next phase; layer off: the same mix. Then the
misses alone, layer off: listings only, searches only. Writes bench/SHOP_RESULTS.md.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from bench.http import PORT, ROOT, Server, say, setup_django

RESULTS = ROOT / "bench" / "SHOP_RESULTS.md"
PHASE_SECONDS = int(os.environ.get("BENCH_SHOP_SECONDS", 60))
OFF_SECONDS = int(os.environ.get("BENCH_SHOP_OFF_SECONDS", 30))
WRITES_PER_SECOND = float(os.environ.get("BENCH_SHOP_WRITES", 5))
# Connections per kind of read: 16 in all, as in the shop's measurements.
CONNECTIONS = {"detail": 8, "listing": 4, "search": 4}
# The web tier `make run` uses (Procfile): gunicorn, 4 sync workers on 2 cores (the README
# says why, with the figures of the other choices).
WEB = os.environ.get("BENCH_SHOP_WEB", "sync")
WEB_WORKERS = os.environ.get("BENCH_SHOP_WORKERS", "4")


def web_args(kind: str) -> tuple[str, ...]:
    if kind == "sync":
        return ("--workers", WEB_WORKERS, "--worker-class", "sync")
    return ("--workers", WEB_WORKERS, "--worker-class", "gthread", "--threads",
            os.environ.get("BENCH_SHOP_THREADS", "4"))


def run_mix(seconds: int, files: dict, n: int) -> dict[str, dict]:
    """The three kinds of reads at once for `seconds`; each wrk's summary by kind."""
    processes = {}
    for kind, connections in CONNECTIONS.items():
        env = {**os.environ, "WRK_KIND": kind, "WRK_N": str(n), "WRK_WORDS": files["words"],
               "WRK_SLUGS": files["slugs"]}
        processes[kind] = subprocess.Popen(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s",
             str(ROOT / "bench" / "shop_mix.lua"), f"http://127.0.0.1:{PORT}"],
            env=env, stdout=subprocess.PIPE, text=True)
    return {kind: _last_json(process.communicate()[0]) for kind, process in processes.items()}


def run_one(kind: str, seconds: int, files: dict, n: int, connections: int = 2) -> dict:
    """One kind alone; by default one connection per worker, so its latency is what a request
    costs, not how long it queued behind others."""
    env = {**os.environ, "WRK_KIND": kind, "WRK_N": str(n), "WRK_WORDS": files["words"], "WRK_SLUGS": files["slugs"]}
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s",
                          str(ROOT / "bench" / "shop_mix.lua"), f"http://127.0.0.1:{PORT}"],
                         env=env, capture_output=True, text=True, check=True).stdout
    return _last_json(out)


def _last_json(output: str) -> dict:
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            result = json.loads(line)
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise RuntimeError(f"wrk said nothing usable: {output[-2000:]}")


class Writer(threading.Thread):
    """Price edits and checkouts through the ORM and the services, at a fixed rate."""

    def __init__(self, n: int, rate: float):
        super().__init__(daemon=True)
        self.n, self.rate = n, rate
        self.stop = threading.Event()
        self.writes = {"price": 0, "checkout": 0}
        self.statements = 0

    def run(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db import connection, transaction

        from carts.selectors import CartOwner
        from carts.services import cart_add_item
        from catalog.models import Product
        from orders.services import order_checkout
        from shop.exceptions import ShopError

        buyer, _ = get_user_model().objects.get_or_create(username="bench-buyer")
        with connection.cursor() as cursor:
            start = _questions(cursor, "SESSION")
        turn = 0
        while not self.stop.wait(1 / self.rate):
            turn += 1
            product_id = random.randint(1, self.n)
            try:
                if turn % 2:
                    with transaction.atomic():
                        product = Product.objects.select_for_update().filter(pk=product_id).first()
                        if product is not None:
                            product.price = max(Decimal("1.00"), product.price + Decimal(random.choice(("-1", "1"))))
                            product.save()
                            self.writes["price"] += 1
                else:
                    Product.objects.filter(pk=product_id, stock__lt=5).update(stock=100)
                    cart = cart_add_item(owner=CartOwner(user_id=buyer.id), product_id=product_id, quantity=1)
                    order_checkout(user=buyer, cart_version=cart.version)
                    self.writes["checkout"] += 1
            except ShopError:
                pass  # an inactive product, a price moved meanwhile: the next one
        with connection.cursor() as cursor:
            self.statements = _questions(cursor, "SESSION") - start - 1
        connection.close()


class StalenessProbe(threading.Thread):
    """Every few seconds: make one product the cheapest of its category and time how long the
    category's cheapest-first listing takes to show it first."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.samples: list[float] = []

    def run(self) -> None:
        import urllib.request

        from django.db import connection, transaction

        from catalog.models import Category, Product

        categories = list(Category.objects.filter(parent__isnull=False, is_active=True).values_list("pk", "slug"))
        while not self.stop.wait(3):
            category_id, slug = random.choice(categories)
            product = Product.objects.filter(category_id=category_id, is_active=True).order_by("?").first()
            cheapest = Product.objects.filter(category_id=category_id, is_active=True).order_by("price").first()
            with transaction.atomic():
                product.price = max(Decimal("0.01"), cheapest.price - Decimal("0.01"))
                product.save()
            edited = time.monotonic()
            url = f"http://127.0.0.1:{PORT}/api/v1/categories/{slug}/products/?ordering=price"
            while time.monotonic() - edited < 120 and not self.stop.is_set():
                body = json.loads(urllib.request.urlopen(url, timeout=10).read())
                if body["results"] and body["results"][0]["id"] == product.pk:
                    self.samples.append(time.monotonic() - edited)
                    break
                time.sleep(0.05)
        connection.close()


def _questions(cursor, scope: str = "GLOBAL") -> int:
    cursor.execute(f"SHOW {scope} STATUS LIKE 'Questions'")
    return int(cursor.fetchone()[1])


def _flush_cache() -> None:
    from caching.handler import redis_client

    redis_client().flushdb(asynchronous=True)
    time.sleep(1)


def _summary(results: dict[str, dict], seconds: tuple[int, int] | None = None) -> dict:
    total = sum(r["requests"] for r in results.values())
    duration = max(r["duration_us"] for r in results.values()) / 1e6
    hits = {kind: _ratio(r["seconds"], seconds) for kind, r in results.items()}
    return {
        "rps": total / duration,
        "p50_ms": max(r["p50_us"] for r in results.values()) / 1000,  # the slowest kind's
        "p95_ms": _weighted_p95(results) / 1000,
        "p99_ms": max(r["p99_us"] for r in results.values()) / 1000,
        "timeouts": sum(r["timeouts"] for r in results.values()),
        "non2xx": sum(r["non2xx"] for r in results.values()),
        "hits": hits,
        "stale": {kind: _stale_share(r["seconds"]) for kind, r in results.items()},
        "requests": total,
    }


def _weighted_p95(results: dict[str, dict]) -> float:
    """The p95 of the whole mix, from each kind's percentiles: the value below which 95 % of
    all requests fall (each kind's p95 and p99 as two points of its distribution)."""
    total = sum(r["requests"] for r in results.values())
    points = []
    for r in results.values():
        points += [(r["p50_us"], r["requests"] * 0.50), (r["p95_us"], r["requests"] * 0.45),
                   (r["p99_us"], r["requests"] * 0.05)]
    accumulated = 0.0
    for latency, weight in sorted(points):
        accumulated += weight
        if accumulated >= 0.95 * total:
            return latency
    return max(latency for latency, _ in points)


def _ratio(seconds: dict, window: tuple[int, int] | None) -> float | None:
    ordered = sorted((int(s), c) for s, c in seconds.items())
    if not ordered:
        return None
    first = ordered[0][0]
    hit = total = 0
    for second, (h, m, o, _stale) in ordered:
        if window is None or window[0] <= second - first < window[1]:
            hit += h
            total += h + m + o
    return hit / total if total else None


def _stale_share(seconds: dict) -> float:
    stale = sum(c[3] for c in seconds.values())
    total = sum(c[0] + c[1] + c[2] for c in seconds.values())
    return stale / total if total else 0.0


def _hit_ratio_reached(results: dict[str, dict], target: float = 0.9) -> float | None:
    """The second from which the mix's hit ratio, over 5-second windows, stays at or above target."""
    merged: dict[int, list[int]] = {}
    for r in results.values():
        for second, (h, m, o, _s) in r["seconds"].items():
            bucket = merged.setdefault(int(second), [0, 0])
            bucket[0] += h
            bucket[1] += h + m + o
    if not merged:
        return None
    first = min(merged)
    windows: dict[int, list[int]] = {}
    for second, (h, t) in merged.items():
        w = windows.setdefault((second - first) // 5, [0, 0])
        w[0] += h
        w[1] += t
    reached = None
    for index in sorted(windows):
        h, t = windows[index]
        if t and h / t >= target:
            reached = index * 5 if reached is None else reached
        else:
            reached = None
    return reached


def main() -> str:
    setup_django()
    from django.db import connection

    from catalog.models import Category, Product
    from catalog.seeding import ADJECTIVES, MATERIALS, NOUNS

    n = Product.objects.order_by("-id").values_list("id", flat=True).first()
    folder = Path(tempfile.mkdtemp(prefix="bench-shop-"))
    files = {"words": str(folder / "words"), "slugs": str(folder / "slugs")}
    Path(files["words"]).write_text("\n".join(w.lower() for w in (*ADJECTIVES, *MATERIALS, *NOUNS)))
    Path(files["slugs"]).write_text("\n".join(Category.objects.filter(is_active=True).values_list("slug", flat=True)))
    rows: dict[str, dict] = {}
    web = web_args(WEB)

    _flush_cache()
    with Server("bench.variants.layer_on", {}, worker_args=web):
        from catalog.services import catalog_warm

        # What beat's warm_if_cold does after a flush (catalog.services.catalog_warm).
        warmer = threading.Thread(target=catalog_warm, daemon=True)
        writer, probe = Writer(n, WRITES_PER_SECOND), StalenessProbe()
        with connection.cursor() as cursor:
            before = _questions(cursor)
        warmer.start()
        writer.start()
        probe.start()
        say(f"layer on, from a flushed cache: {PHASE_SECONDS} s of the mix with {WRITES_PER_SECOND:g} writes/s...")
        cold = run_mix(PHASE_SECONDS, files, n)
        say(f"layer on, the next {PHASE_SECONDS} s...")
        warm = run_mix(PHASE_SECONDS, files, n)
        writer.stop.set()
        probe.stop.set()
        writer.join()
        probe.join(130)
        with connection.cursor() as cursor:
            after = _questions(cursor)
        statements = after - before - writer.statements - 2
        rows["on_cold"] = _summary(cold)
        rows["on_cold"]["reached_90"] = _hit_ratio_reached(cold)
        rows["on_warm"] = _summary(warm)
        requests = rows["on_cold"]["requests"] + rows["on_warm"]["requests"]
        rows["on_warm"]["per_thousand"] = statements / requests * 1000
        rows["on_warm"]["staleness"] = probe.samples
        rows["on_warm"]["writes"] = dict(writer.writes)

    with Server("bench.variants.layer_off", {}, worker_args=web):
        writer = Writer(n, WRITES_PER_SECOND)
        with connection.cursor() as cursor:
            before = _questions(cursor)
        writer.start()
        say(f"layer off: {OFF_SECONDS} s of the same mix...")
        off = run_mix(OFF_SECONDS, files, n)
        writer.stop.set()
        writer.join()
        with connection.cursor() as cursor:
            after = _questions(cursor)
        rows["off"] = _summary(off)
        rows["off"]["per_thousand"] = (after - before - writer.statements - 2) / rows["off"]["requests"] * 1000
        say("layer off: listings alone, then searches alone, 2 connections (the miss cost)...")
        rows["off_listing"] = run_one("listing", OFF_SECONDS, files, n)
        rows["off_search"] = run_one("search", OFF_SECONDS, files, n)
    report = render(rows)
    RESULTS.write_text(report)
    return report


def _ms(us: float) -> str:
    return f"{us / 1000:,.1f}"


def render(rows: dict) -> str:
    on_cold, on_warm, off = rows["on_cold"], rows["on_warm"], rows["off"]
    listing, search = rows["off_listing"], rows["off_search"]
    staleness = on_warm["staleness"]

    def hits(row: dict) -> str:
        return ", ".join(f"{kind} {ratio:.1%}" for kind, ratio in row["hits"].items() if ratio is not None)

    lines = [
        "# A shop's traffic: layer on and off in one run",
        "",
        f"{datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores, {platform.python_version()}; "
        f"gunicorn {WEB}, {WEB_WORKERS} workers; 16 connections (8 details, 4 listings, 4 searches); "
        f"{WRITES_PER_SECOND:g} writes/s (price edits and checkouts); wrk shares the cores with the server.",
        "",
        "| run | req/s | p50 (slowest kind) ms | p95 ms | p99 ms | time-outs | non-2xx | hit ratio by kind |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in (("layer on, from a flushed cache", on_cold), ("layer on, the next phase", on_warm),
                      ("layer off", off)):
        lines.append(f"| {name} | {row['rps']:,.0f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
                     f"{row['p99_ms']:.1f} | {row['timeouts']} | {row['non2xx']} | {hits(row)} |")
    lines += [
        "",
        "| figure | measured | target |",
        "|---|---|---|",
        f"| mixed, layer on after a minute: p95 | {on_warm['p95_ms']:.1f} ms | under 100 ms |",
        f"| mixed, layer on after a minute vs layer off: req/s | {on_warm['rps'] / off['rps']:.1f}x | at least 10x |",
        f"| from a flushed cache: hit ratio 90 % reached (5 s windows) | "
        f"{'after ' + str(on_cold['reached_90']) + ' s' if on_cold['reached_90'] is not None else 'not reached'} "
        f"| within 60 s |",
        f"| from a flushed cache: time-outs | {on_cold['timeouts']} | 0 |",
        f"| listing miss (layer off), p95 | {_ms(listing['p95_us'])} ms ({listing['rps']:,.0f} req/s) | under 30 ms |",
        f"| search miss (layer off), p95 | {_ms(search['p95_us'])} ms ({search['rps']:,.0f} req/s) | under 100 ms |",
        f"| DB statements per 1,000 requests, layer on (both phases, writes excluded) / off | "
        f"{on_warm['per_thousand']:.0f} / {off['per_thousand']:.0f} | |",
        f"| served stale (within the bound) by kind, after a minute | "
        f"{', '.join(f'{k} {v:.1%}' for k, v in on_warm['stale'].items())} | |",
        f"| a price edit's new order served (median / max of {len(staleness)} probes) | "
        f"{statistics.median(staleness):.2f} s / {max(staleness):.2f} s | within 60 s (LISTING_MAX_STALENESS) |"
        if staleness else "| a price edit's new order served | no sample | |",
        f"| writes during the layer-on phases | {on_warm['writes']} | |",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(main())
