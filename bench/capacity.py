"""Capacity figures for docs/capacity.md: `make bench-capacity` (also the last part of `make bench`).

Measured in one run, on the catalog `make bench` seeds:
- requests per second one gunicorn sync worker serves with the shipped server config
  (shop/gunicorn_conf.py), cache warm, per kind of request: product detail (Zipf(0.99)
  over the catalog), category listing and search (spread as bench/shop_mix.lua spreads
  them), and cart, profile, session and order history (logged-in shoppers, a random one
  per request); then the public mix of bench/shop_mix.py on one worker, layer on and off;
- the Redis commands one request costs, as shipped and on an L1 miss (every data type
  on L2 only, bench/variants/layer_no_l1.py), counted with INFO commandstats around each
  wrk run, on the cache and on the session store;
- what one redis-server sustains on each kind's real entries (redis-benchmark: GET of
  the entry, MGET of the cards a listing or search page reads), hence requests per
  second per Redis node: 1 / sum over commands (commands per request / node ops/s);
- Redis bytes per product (used_memory around warming the whole catalog; MEMORY USAGE
  of product and card entries) and per entry of every kind;
- database statements per 1,000 requests (MariaDB's Questions), per kind and mixed,
  and per checkout.
Every kind is measured in each of BENCH_ROUNDS rounds; medians are reported. Writes
bench/CAPACITY_RESULTS.md and bench/out/capacity.json.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import random
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from bench.http import PORT, ROOT, Server, pick_targets, say, setup_django
from bench.stats import markdown_table, median

RESULTS = ROOT / "bench" / "CAPACITY_RESULTS.md"
OUT = ROOT / "bench" / "out" / "capacity.json"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
SECONDS = int(os.environ.get("BENCH_CAPACITY_SECONDS", 5))
WARM_SECONDS = int(os.environ.get("BENCH_CAPACITY_WARM_SECONDS", 2))
MIX_SECONDS = int(os.environ.get("BENCH_CAPACITY_MIX_SECONDS", 20))
SHOPPERS = int(os.environ.get("BENCH_CAPACITY_SHOPPERS", 200))
CHECKOUTS = int(os.environ.get("BENCH_CAPACITY_CHECKOUTS", 30))
REDIS_MAXMEMORY = os.environ.get("BENCH_REDIS_MAXMEMORY", "4gb")  # the whole catalog, nothing evicted
# One sync worker: four connections keep its queue from ever emptying, and no more.
CONNECTIONS = 4
PAGE_SIZE = 20  # a listing's or search's page (catalog.listings.DEFAULT_PAGE_SIZE)
WORKER = ("--workers", "1", "--worker-class", "sync", "-c", "python:shop.gunicorn_conf")
SHIPPED, NO_L1, OFF = "bench.variants.layer_on", "bench.variants.layer_no_l1", "bench.variants.layer_off"

# kind: (label, how wrk spreads it, the data type of its L2 entry, the data type of the entries it
# multi-gets, the Redis that holds its entry). Spread "hot": one URL, requested over and over (an
# L1 hit as shipped, an L2 hit with L1 off); "mix:<kind>": bench/shop_mix.lua's spread of that
# kind; "shopper:<path>": a logged-in shopper's private read (bench/wrk_report.lua with WRK_COOKIES).
KINDS = {
    "detail_hot": ("product detail, one product", "hot:product", "product", None, "cache"),
    "detail": ("product detail, Zipf(0.99) over the catalog", "mix:detail", "product", None, "cache"),
    "listing_hot": ("category listing, one page", "hot:listing", "listing_page", "product_card", "cache"),
    "listing": ("category listing, any category or all, order, pages 1-5", "mix:listing", "listing_page",
                "product_card", "cache"),
    "search_hot": ("search, one query", "hot:search", "search", "product_card", "cache"),
    "search": ("search, one or two catalog words, pages 1-5", "mix:search", "search", "product_card", "cache"),
    "cart": ("cart (logged in)", "shopper:/api/v1/cart/", "cart", None, "cache"),
    "profile": ("profile (logged in)", "shopper:/api/v1/profile/", "profile", None, "cache"),
    "session": ("session (logged in)", "shopper:/api/v1/session/", "session", None, "store"),
    "orders": ("order history (logged in)", "shopper:/api/v1/orders/", "order_history", None, "cache"),
}
IGNORED_COMMANDS = {"info", "memory", "scan", "config", "strlen", "type"}  # this module's own look-ups


class Counters:
    """Commands per Redis (INFO commandstats) and database statements (Questions), read
    before and after a wrk run."""

    def __init__(self, cache, store):
        self.redis = {"cache": cache, "store": store}

    def read(self) -> dict:
        from django.db import connection

        snapshot = {"redis": {}, "questions": 0}
        for role, client in self.redis.items():
            stats = client.info("commandstats")
            snapshot["redis"][role] = {name.removeprefix("cmdstat_"): int(value["calls"])
                                       for name, value in stats.items()}
        with connection.cursor() as cursor:
            cursor.execute("SHOW GLOBAL STATUS LIKE 'Questions'")
            snapshot["questions"] = int(cursor.fetchone()[1])
        return snapshot

    @staticmethod
    def per_request(before: dict, after: dict, requests: int) -> dict:
        """Redis commands (by Redis and command) and database statements per request."""
        commands = {}
        for role, calls in after["redis"].items():
            commands[role] = {name: (count - before["redis"][role].get(name, 0)) / requests
                              for name, count in calls.items()
                              if name not in IGNORED_COMMANDS and count > before["redis"][role].get(name, 0)}
        # The SHOW STATUS that read `before` is one of the statements counted.
        return {"commands": commands, "statements": (after["questions"] - before["questions"] - 1) / requests}


def shoppers(count: int, n: int) -> list[str]:
    """`count` logged-in shoppers, each with a profile, a past order and a cart of three lines;
    returns a Cookie header value for each (a fresh session every run)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    from carts.selectors import CartOwner, cart_get
    from carts.services import cart_add_item
    from catalog.models import Product
    from orders.services import order_checkout
    from profiles.models import Profile
    from sessions_app.engine import SessionStore
    from shop.exceptions import ShopError

    def fill_cart(owner: CartOwner, lines: int) -> None:
        while (cart_get(owner=owner) is None or cart_get(owner=owner).items.count() < lines):
            product_id = random.randint(1, n)
            Product.objects.filter(pk=product_id, stock__lt=5).update(stock=100)
            try:
                cart_add_item(owner=owner, product_id=product_id, quantity=1)
            except ShopError:
                pass  # an inactive product: another one

    cookies = []
    for i in range(count):
        user, created = get_user_model().objects.get_or_create(username=f"capacity-{i}")
        if created:
            user.set_unusable_password()
            user.save()
            owner = CartOwner(user_id=user.id)
            fill_cart(owner, 2)
            order_checkout(user=user, cart_version=cart_get(owner=owner).version)
            fill_cart(owner, 3)
        Profile.objects.update_or_create(user=user, defaults={"display_name": f"Shopper {i}", "addresses": [
            {"name": f"Shopper {i}", "line1": f"{i} Main Street", "city": "Springfield", "postal_code": "12345",
             "country": "US"}]})
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save(must_create=True)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies


def statements_per_checkout(count: int, n: int) -> dict:
    """Database statements and median time of one checkout (the user's cart of two lines, through
    the services, invalidating as in production) and of one cart line added."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from carts.selectors import CartOwner, cart_get
    from carts.services import cart_add_item
    from catalog.models import Product
    from orders.services import order_checkout
    from shop.exceptions import ShopError

    def questions() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SHOW SESSION STATUS LIKE 'Questions'")
            return int(cursor.fetchone()[1])

    buyer, _ = get_user_model().objects.get_or_create(username="capacity-buyer")
    owner = CartOwner(user_id=buyer.id)
    adds = checkouts = add_statements = checkout_statements = 0
    add_seconds, checkout_seconds = [], []
    while checkouts < count:
        for _ in range(2):
            product_id = random.randint(1, n)
            Product.objects.filter(pk=product_id, stock__lt=5).update(stock=100)
            start, started = questions(), time.perf_counter()
            try:
                cart_add_item(owner=owner, product_id=product_id, quantity=1)
            except ShopError:
                continue
            add_seconds.append(time.perf_counter() - started)
            add_statements += questions() - start - 1
            adds += 1
        cart = cart_get(owner=owner)
        if cart is None or not cart.items.exists():
            continue
        start, started = questions(), time.perf_counter()
        try:
            order_checkout(user=buyer, cart_version=cart.version)
        except ShopError:
            continue
        checkout_seconds.append(time.perf_counter() - started)
        checkout_statements += questions() - start - 1
        checkouts += 1
    # The service's own time, in this process (no HTTP): what a write adds to a request's framework.
    return {"checkout": checkout_statements / checkouts, "cart_add": add_statements / adds,
            "checkout_ms": median(checkout_seconds) * 1000, "cart_add_ms": median(add_seconds) * 1000}


def wrk_kind(kind: str, seconds: int, files: dict, n: int) -> dict:
    """One kind of request alone, on CONNECTIONS connections."""
    from bench import shop_mix

    how, _, what = KINDS[kind][1].partition(":")
    if how == "mix":
        return shop_mix.run_one(what, seconds, files, n, connections=CONNECTIONS)
    path, env = files["hot"].get(what), dict(os.environ)
    if how == "shopper":
        path, env["WRK_COOKIES"] = what, files["cookies"]
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s", "-s",
                          str(ROOT / "bench" / "wrk_report.lua"), f"http://127.0.0.1:{PORT}{path}"],
                         env=env, capture_output=True, text=True, check=True).stdout
    return shop_mix._last_json(out)


def hit_ratio(report: dict) -> float | None:
    """Hits (L1, L2, stale) among the requests bench/shop_mix.lua counted by X-Cache."""
    seconds = report.get("seconds") or {}
    hits = sum(counts[0] for counts in seconds.values())
    total = sum(counts[0] + counts[1] + counts[2] for counts in seconds.values())
    return hits / total if total else None


def per_kind(counters: Counters, files: dict, n: int) -> dict:
    """Every kind, every round, as shipped and with L1 off: each run's req/s and counts."""
    runs: dict = {variant: {kind: [] for kind in KINDS} for variant in (SHIPPED, NO_L1)}
    for round_number in range(1, ROUNDS + 1):
        for variant in (SHIPPED, NO_L1):
            with Server(variant, {}, worker_args=WORKER):
                for kind in KINDS:
                    wrk_kind(kind, WARM_SECONDS, files, n)
                    before = counters.read()
                    report = wrk_kind(kind, SECONDS, files, n)
                    report.update(Counters.per_request(before, counters.read(), report["requests"]))
                    report["hit_ratio"] = hit_ratio(report)
                    report.pop("seconds", None)
                    runs[variant][kind].append(report)
                    say(f"round {round_number}/{ROUNDS} {variant.rsplit('.', 1)[1]} {kind}: "
                        f"{report['rps']:,.0f} req/s, {sum(report['commands']['cache'].values()):.2f} cache + "
                        f"{sum(report['commands']['store'].values()):.2f} store commands and "
                        f"{report['statements']:.2f} statements a request, non-2xx {report['non2xx']}")
    return runs


def mixed(counters: Counters, files: dict, n: int) -> dict:
    """bench/shop_mix.py's three public kinds at once on one worker, layer on (after a warm-up
    phase) and off, ROUNDS rounds of MIX_SECONDS each."""
    from bench import shop_mix

    runs: dict = {SHIPPED: [], OFF: []}
    for round_number in range(1, ROUNDS + 1):
        for variant in (SHIPPED, OFF):
            with Server(variant, {}, worker_args=WORKER):
                if variant == SHIPPED and round_number == 1:
                    shop_mix.run_mix(MIX_SECONDS, files, n)
                before = counters.read()
                results = shop_mix.run_mix(MIX_SECONDS, files, n)
                requests = sum(r["requests"] for r in results.values())
                report = {
                    "rps": requests / (max(r["duration_us"] for r in results.values()) / 1e6),
                    "requests": requests,
                    "share": {kind: r["requests"] / requests for kind, r in results.items()},
                    "hit_ratio": {kind: hit_ratio(r) for kind, r in results.items()},
                    "non2xx": sum(r["non2xx"] for r in results.values()),
                    **Counters.per_request(before, counters.read(), requests),
                }
                runs[variant].append(report)
                say(f"round {round_number}/{ROUNDS} mix, {variant.rsplit('.', 1)[1]}: {report['rps']:,.0f} req/s, "
                    f"{report['statements'] * 1000:,.0f} statements per 1,000 requests, hit ratio "
                    + ", ".join(f"{k} {v:.1%}" for k, v in report["hit_ratio"].items() if v is not None))
    return runs


def warm_catalog(cache) -> dict:
    """Warm every product's detail entry (as `warm_cache` does), then every product's card (as
    listings and searches read them); Redis used_memory before and after each, per product. Both
    over the whole catalog: the key table grows by doubling, so a part of it would be charged a
    doubling it did not cause alone."""
    from caching import get_many
    from catalog import payloads
    from catalog.models import Product
    from catalog.seeding import refresh_statistics
    from catalog.services import catalog_warm_products

    # Statistics as a live database has them, even on a catalog seeded by an earlier run.
    refresh_statistics()
    cache.flushdb(asynchronous=True)  # millions of keys: a blocking flush outlasts the socket timeout
    while cache.dbsize() or int(cache.info("memory").get("lazyfree_pending_objects", 0)):
        time.sleep(0.5)
    cache.config_set("maxmemory", REDIS_MAXMEMORY)
    before = int(cache.info("memory")["used_memory"])
    say("warming every product's detail entry...")
    started = time.monotonic()
    stored = catalog_warm_products(by="id")
    seconds = time.monotonic() - started
    middle = int(cache.info("memory")["used_memory"])
    say(f"  {stored:,} products in {seconds:.0f} s; warming every product's card...")
    last = Product.objects.order_by("-id").values_list("id", flat=True).first()
    for start in range(1, last + 1, 1000):
        get_many("product_card", list(range(start, min(start + 1000, last + 1))), payloads.product_cards)
    after = int(cache.info("memory")["used_memory"])
    return {"products": stored, "warm_seconds": seconds, "detail_bytes": (middle - before) / stored,
            "card_bytes": (after - middle) / stored, "used_memory": after}


def sample_keys(client, data_type: str, limit: int = 200) -> list[str]:
    """Up to `limit` keys of one data type's entries (not their fences, generations or leases)."""
    from caching.conf import settings

    pattern = f"*{data_type}:*" if data_type == "session" else f"{settings.KEY_PREFIX}:{data_type}:v*"
    keys = []
    for key in client.scan_iter(match=pattern, count=1000):
        key = key.decode() if isinstance(key, bytes) else key
        if key.rsplit(":", 1)[-1] in ("fence", "gens", "lease", "dv"):
            continue
        keys.append(key)
        if len(keys) >= limit:
            break
    return keys


def entry_sizes(clients: dict) -> dict:
    """Median MEMORY USAGE (bytes in Redis, key and overhead included) and value length of each
    data type's entries, sampled."""
    sizes = {}
    types = {entry: role for _, _, entry, _, role in KINDS.values()} | {"product_card": "cache"}
    for data_type, role in types.items():
        client = clients[role]
        keys = sample_keys(client, data_type)
        usage = [client.memory_usage(key) for key in keys]
        fences = [client.memory_usage(f"{key}:fence") for key in keys]
        length = [client.strlen(key) for key in keys]
        sizes[data_type] = {"keys": keys[:20], "sampled": len(keys),
                            "memory_usage": median([u for u in usage if u]) if keys else 0,
                            "value_bytes": median(length) if keys else 0,
                            "fence_memory_usage": median([f for f in fences if f]) if any(fences) else 0}
    return sizes


def redis_benchmark(url: str, command: list[str], requests: int = 100_000) -> float:
    """Operations per second one redis-server answers for `command` (50 clients, no pipelining,
    as the shop's clients send them)."""
    parsed = urlparse(url)
    args = ["redis-benchmark", "-h", parsed.hostname, "-p", str(parsed.port), "-c", "50",
            "-n", str(requests), "--csv", *command]
    if parsed.password:
        args[1:1] = ["-a", parsed.password]  # redis-benchmark warns about it on stderr; its own flag
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    last = [line for line in out.strip().splitlines() if line.startswith('"') and not line.startswith('"test"')][-1]
    return float(last.split(",")[1].strip('"'))


def node_ops(urls: dict, sizes: dict) -> dict:
    """Per data type read by a kind: GET of one of its real entries and, for listings and searches,
    MGET of a page's worth of real card entries; medians of ROUNDS."""
    ops = {}
    for _, _, data_type, many, role in KINDS.values():
        keys = sizes[data_type]["keys"]
        if data_type in ops or not keys:
            continue
        figures = {"get": median([redis_benchmark(urls[role], ["GET", keys[len(keys) // 2]]) for _ in range(ROUNDS)])}
        if many:
            card_keys = sizes[many]["keys"][:PAGE_SIZE]
            figures["mget"] = median([redis_benchmark(urls[role], ["MGET", *card_keys]) for _ in range(ROUNDS)])
            figures["mget_keys"] = len(card_keys)
        ops[data_type] = figures
        say(f"redis-benchmark {data_type}: GET {figures['get']:,.0f}/s"
            + (f", MGET of {figures['mget_keys']} cards {figures['mget']:,.0f}/s" if many else ""))
    return ops


def requests_per_node(commands: dict, ops: dict) -> float | None:
    """Requests per second one Redis node answers: the node's time per request is the sum of
    each command's count per request over that command's rate (MGET at its own measured rate,
    every other command at the rate of a GET of the kind's entry)."""
    seconds = sum(count / (ops["mget"] if name == "mget" and "mget" in ops else ops["get"])
                  for name, count in commands.items())
    return 1 / seconds if seconds else None


def summarise(runs: dict, mix: dict, ops: dict, store_ops: float) -> dict:
    """Medians per kind and variant; requests per Redis node from the L1-miss command counts."""
    summary: dict = {}
    for kind in KINDS:
        shipped, no_l1 = runs[SHIPPED][kind], runs[NO_L1][kind]
        row = {
            "rps": median([r["rps"] for r in shipped]),
            "rps_no_l1": median([r["rps"] for r in no_l1]),
            "p95_ms": median([r["p95_us"] for r in shipped]) / 1000,
            "statements_per_1000": median([r["statements"] for r in shipped]) * 1000,
            "hit_ratio": median([r["hit_ratio"] for r in shipped]) if shipped[0]["hit_ratio"] is not None else None,
            "non2xx": sum(r["non2xx"] for r in shipped + no_l1),
        }
        for label, reports in (("shipped", shipped), ("l1_miss", no_l1)):
            for role in ("cache", "store"):
                names = {name for r in reports for name in r["commands"][role]}
                row[f"{label}_{role}"] = {name: median([r["commands"][role].get(name, 0) for r in reports])
                                          for name in sorted(names)}
        data_type, role = KINDS[kind][2], KINDS[kind][4]
        if data_type in ops:
            row["per_node"] = requests_per_node(row[f"l1_miss_{role}"], ops[data_type])
            other = "store" if role == "cache" else "cache"
            other_ops = {"get": store_ops} if other == "store" else ops["product"]
            row[f"per_node_{other}"] = requests_per_node(row[f"l1_miss_{other}"], other_ops)
        summary[kind] = row
    for variant, key in ((SHIPPED, "mix_on"), (OFF, "mix_off")):
        reports = mix[variant]
        summary[key] = {
            "rps": median([r["rps"] for r in reports]),
            "statements_per_1000": median([r["statements"] for r in reports]) * 1000,
            "cache_commands": median([sum(r["commands"]["cache"].values()) for r in reports]),
            "share": {k: median([r["share"][k] for r in reports]) for k in reports[0]["share"]},
            "hit_ratio": {k: median([r["hit_ratio"][k] for r in reports]) if reports[0]["hit_ratio"][k] is not None
                          else None for k in reports[0]["hit_ratio"]},
            "non2xx": sum(r["non2xx"] for r in reports),
        }
    return summary


def render(data: dict) -> str:
    summary, warm, sizes, ops = data["summary"], data["warm"], data["sizes"], data["ops"]
    kind_rows = []
    for kind, (label, *_rest) in KINDS.items():
        row = summary[kind]
        role = KINDS[kind][4]
        kind_rows.append([
            label, f"{row['rps']:,.0f}", f"{row['rps_no_l1']:,.0f}", f"{row['p95_ms']:.1f}",
            f"{row['hit_ratio']:.1%}" if row["hit_ratio"] is not None else "",
            f"{sum(row['shipped_cache'].values()):.2f} / {sum(row['shipped_store'].values()):.2f}",
            f"{sum(row['l1_miss_cache'].values()):.2f} / {sum(row['l1_miss_store'].values()):.2f}",
            ", ".join(f"{name} {count:.2f}" for name, count in row[f"l1_miss_{role}"].items()),
            f"{row['statements_per_1000']:,.0f}",
        ])
    node_rows = []
    for kind, (label, _, data_type, many, role) in KINDS.items():
        if data_type not in ops:
            continue
        row, figures = summary[kind], ops[data_type]
        other = "store" if role == "cache" else "cache"
        node_rows.append([
            label, f"{data_type} ({role})", f"{sizes[data_type]['value_bytes']:,.0f}",
            f"{figures['get']:,.0f}",
            f"{figures['mget']:,.0f} ({figures['mget_keys']} keys)" if many else "",
            f"{sum(row[f'l1_miss_{role}'].values()):.2f}",
            f"{row['per_node']:,.0f}" if row.get("per_node") else "",
            f"{row[f'per_node_{other}']:,.0f}" if sum(row[f"l1_miss_{other}"].values()) >= 0.1 else "",
        ])
    size_rows = [[name, figures["sampled"], f"{figures['value_bytes']:,.0f}", f"{figures['memory_usage']:,.0f}",
                  f"{figures['fence_memory_usage']:,.0f}" if figures["fence_memory_usage"] else ""]
                 for name, figures in sizes.items()]
    on, off = summary["mix_on"], summary["mix_off"]
    per_product = warm["detail_bytes"] + warm["card_bytes"]
    mix_rows = [
        ["req/s, one worker", f"{on['rps']:,.0f}", f"{off['rps']:,.0f}"],
        ["requests by kind", ", ".join(f"{k} {v:.0%}" for k, v in on["share"].items()),
         ", ".join(f"{k} {v:.0%}" for k, v in off["share"].items())],
        ["hit ratio by kind", ", ".join(f"{k} {v:.1%}" for k, v in on["hit_ratio"].items() if v is not None), ""],
        ["DB statements per 1,000 requests", f"{on['statements_per_1000']:,.0f}",
         f"{off['statements_per_1000']:,.0f}"],
        ["Redis (cache) commands per request", f"{on['cache_commands']:.2f}", f"{off['cache_commands']:.2f}"],
        ["non-2xx", on["non2xx"], off["non2xx"]],
    ]
    headline = [
        ["Redis bytes per product, detail entry (used_memory delta over the whole catalog)",
         f"{warm['detail_bytes']:,.0f}"],
        ["Redis bytes per product, listing/search card (used_memory delta over the whole catalog)",
         f"{warm['card_bytes']:,.0f}"],
        ["Redis bytes per product, both", f"{per_product:,.0f}"],
        ["products warmed, time", f"{warm['products']:,} in {warm['warm_seconds']:.0f} s"],
        ["DB statements per checkout / per cart line added", f"{data['writes']['checkout']:.1f} / "
                                                             f"{data['writes']['cart_add']:.1f}"],
        ["service time of a checkout / a cart line added (in process, median)",
         f"{data['writes']['checkout_ms']:.1f} ms / {data['writes']['cart_add_ms']:.1f} ms"],
        ["session store: redis-benchmark GET of a session entry", f"{data['store_ops']:,.0f} ops/s"],
    ]
    machine = data["machine"]
    return "\n".join([
        "# Capacity figures",
        "",
        f"Measured {machine['date']} on {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}, "
        f"{machine['database']}, Redis {machine['redis']}; {machine['products']:,} products, {SHOPPERS} logged-in "
        f"shoppers. gunicorn with the shipped config (shop/gunicorn_conf.py), 1 sync worker; wrk -t2 "
        f"-c{CONNECTIONS}, {SECONDS} s per kind after {WARM_SECONDS} s of warm-up, {ROUNDS} rounds, medians. "
        "wrk, MariaDB and Redis share the 2 cores with the worker. Command: `make bench-capacity` "
        "(bench/capacity.py); the plan built on these figures is docs/capacity.md.",
        "",
        "## Requests per second per web worker, by kind",
        "",
        "Shipped: L1 and L2 as configured; L1 miss: every data type on L2 only "
        "(bench/variants/layer_no_l1.py). Commands per request are counted by INFO commandstats "
        "on the cache / the session store.",
        "",
        markdown_table(["kind", "req/s, shipped", "req/s, L1 miss", "p95 ms (4 conns)", "hit ratio",
                        "Redis commands/request, shipped (cache / store)", "on an L1 miss (cache / store)",
                        "L1-miss commands by name (its Redis)", "DB statements per 1,000"], kind_rows),
        "",
        "## Requests per second per Redis node, by kind",
        "",
        "One redis-server (one core here) answering redis-benchmark -c 50, no pipelining, on the kind's real "
        "entry (GET) and the cards one of its pages reads (MGET); requests per node = 1 / sum of "
        "(commands per request / that command's rate), MGET at its rate, other commands at the GET rate.",
        "",
        markdown_table(["kind", "entry (its Redis)", "entry bytes", "GET ops/s", "MGET ops/s",
                        "commands/request on an L1 miss", "requests/s per node",
                        "requests/s per node of the other Redis"], node_rows),
        "",
        "## Mixed public traffic on one worker (bench/shop_mix.py's three kinds at once, 16 connections)",
        "",
        markdown_table(["figure", "layer on", "layer off"], mix_rows),
        "",
        "## Memory and writes",
        "",
        markdown_table(["figure", "value"], headline),
        "",
        markdown_table(["entry", "sampled", "value bytes (median)", "MEMORY USAGE bytes (median)",
                        "its fence, MEMORY USAGE"], size_rows),
        "",
    ])


def main() -> str:
    setup_django()
    import redis
    from django.conf import settings
    from django.db import connection

    from caching.handler import redis_client
    from catalog.models import Category, Product
    from catalog.seeding import ADJECTIVES, MATERIALS, NOUNS

    cache = redis_client()
    store = redis.Redis.from_url(settings.REDIS_STORE_URL)
    urls = {"cache": settings.REDIS_URL, "store": settings.REDIS_STORE_URL}
    n = Product.objects.order_by("-id").values_list("id", flat=True).first()
    folder = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    files = {name: str(folder / name) for name in ("words", "slugs", "cookies")}
    Path(files["words"]).write_text("\n".join(w.lower() for w in (*ADJECTIVES, *MATERIALS, *NOUNS)))
    Path(files["slugs"]).write_text("\n".join(Category.objects.filter(is_active=True).values_list("slug", flat=True)))

    warm = warm_catalog(cache)
    say(f"{SHOPPERS} logged-in shoppers (profile, an order, a cart of three)...")
    Path(files["cookies"]).write_text("\n".join(shoppers(SHOPPERS, n)))
    files["hot"] = pick_targets()
    writes = statements_per_checkout(CHECKOUTS, n)
    say(f"  {writes['checkout']:.1f} statements ({writes['checkout_ms']:.1f} ms) per checkout, "
        f"{writes['cart_add']:.1f} ({writes['cart_add_ms']:.1f} ms) per cart line added")
    counters = Counters(cache, store)
    runs = per_kind(counters, files, n)
    sizes = entry_sizes({"cache": cache, "store": store})  # before order histories expire (60 s)
    mix = mixed(counters, files, n)
    ops = node_ops(urls, sizes)
    store_ops = ops["session"]["get"] if "session" in ops else 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        database = f"MariaDB {cursor.fetchone()[0].split('-')[0]}"
    data = {
        "machine": {"date": datetime.date.today().isoformat(), "cores": os.cpu_count(), "cpu": _cpu_model(),
                    "python": platform.python_version(), "database": database,
                    "redis": cache.info("server")["redis_version"], "products": n},
        "warm": warm, "writes": writes, "runs": runs, "mix": mix, "sizes": sizes, "ops": ops, "store_ops": store_ops,
    }
    data["summary"] = summarise(runs, mix, ops, store_ops)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1, default=str))
    text = render(data)
    RESULTS.write_text(text)
    return text


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


if __name__ == "__main__":
    print(main())
