"""Hit ratio right after a cache flush, by warming strategy: `make bench-warm`.

The workload is a shop's mix with realistic skew over the million-product catalog:
half product details, Zipf(0.99) over the active products *through a seeded random
permutation* (popularity must not follow id order, or id-order warming would look
perfect by accident); a quarter listings, Zipf(0.99) over the categories (and the
whole catalog) through another permutation, page 1 most likely (geometric, p = 0.6,
at most 5), the default order half the time; a quarter searches, Zipf(0.99) over
queries built from the catalog's words (each word, and adjective or material + noun
pairs), best matches first 80 % of the time, page 1 mostly (geometric, p = 0.8, at most 3).

"Recent traffic": HISTORY requests (30,000,000 by default: what the counts hold in a shop
serving about 4,000 requests a second, since beat halves them every hour and so weighs
roughly the last two hours; BENCH_WARM_HISTORY=3000000 is a shop of a few hundred a
second, whose counts cannot rank the long tail: product 300,000 of the Zipf order is
expected about 0.3 times in 1.5 million detail requests) are drawn
from the same distribution and their aggregated counts go through
catalog.popularity.popularity_add, the very function each process flushes its counts
with. Then, for each variant, REPEATS times: flush the cache Redis and start a new
gunicorn (L1 empty), warm (nothing, the id-order warm of before, or popularity), then
send the first 1,000 requests of a fresh sample (another seed) from 4 concurrent
clients and count X-Cache: HIT-L1, HIT-L2 and STALE are hits, MISS a miss. Writes
bench/WARM_RESULTS.md.
"""
from __future__ import annotations

import datetime
import http.client
import math
import os
import platform
import random
import statistics
import threading
import time
from collections import Counter
from urllib.parse import urlencode

from bench.http import PORT, ROOT, Server, say, setup_django

RESULTS = ROOT / "bench" / "WARM_RESULTS.md"
HISTORY = int(os.environ.get("BENCH_WARM_HISTORY", 30_000_000))
REQUESTS = int(os.environ.get("BENCH_WARM_REQUESTS", 1_000))
# One round fits in about ten minutes (the two popularity warms take two of them each);
# BENCH_WARM_REPEATS=3 gives medians of three.
REPEATS = int(os.environ.get("BENCH_WARM_REPEATS", 1))
CLIENTS = 4
WORKERS = os.environ.get("BENCH_WARM_WORKERS", "4")  # as `make run` serves (README, "The web tier")
SKEW = 0.99
MIX = (("detail", 0.5), ("listing", 0.25), ("search", 0.25))
PERMUTATION_SEED, HISTORY_SEED, SAMPLE_SEED = 11, 12, 13
ORDERINGS = ("price", "-price", "name", "-name", "created_at", "-created_at", "id", "-id")
# Variants: (name, warming)
VARIANTS = (
    ("no warming", "none"),
    ("id-order warm (before)", "id"),
    ("popularity warm", "popularity"),
)


def zipf_rank(rng: random.Random, n: int, s: float = SKEW) -> int:
    """A rank in 1..n, P(r) about proportional to r^-s (the inverse of the continuous CDF)."""
    top = (n + 1) ** (1 - s) - 1
    return min(n, max(1, math.floor((rng.random() * top + 1) ** (1 / (1 - s)))))


def geometric(rng: random.Random, p: float, most: int) -> int:
    page = 1
    while page < most and rng.random() >= p:
        page += 1
    return page


class Workload:
    """The shop's request distribution; `draw` gives (kind, key, path), `key` what the
    popularity counts name (a product id, or a listing's or search's parameters without page)."""

    def __init__(self, product_ids: list[int], slugs: list[str | None], queries: list[str]):
        permute = random.Random(PERMUTATION_SEED)
        self.products = product_ids[:]
        permute.shuffle(self.products)
        self.slugs = slugs[:]
        permute.shuffle(self.slugs)
        self.queries = queries[:]
        permute.shuffle(self.queries)

    def draw(self, rng: random.Random) -> tuple[str, tuple, str]:
        u = rng.random()
        if u < MIX[0][1]:
            product_id = self.products[zipf_rank(rng, len(self.products)) - 1]
            return "detail", (product_id,), f"/api/v1/products/{product_id}/"
        if u < MIX[0][1] + MIX[1][1]:
            slug = self.slugs[zipf_rank(rng, len(self.slugs)) - 1]
            ordering = "" if rng.random() < 0.5 else rng.choice(ORDERINGS)
            page = geometric(rng, 0.6, 5)
            query = {**({"ordering": ordering} if ordering else {}), **({"page": page} if page > 1 else {})}
            base = "/api/v1/products/" if slug is None else f"/api/v1/categories/{slug}/products/"
            return "listing", (slug, ordering, page), base + (f"?{urlencode(query)}" if query else "")
        q = self.queries[zipf_rank(rng, len(self.queries)) - 1]
        ordering = "" if rng.random() < 0.8 else rng.choice(("price", "-price"))
        page = geometric(rng, 0.8, 3)
        query = {"q": q, **({"ordering": ordering} if ordering else {}), **({"page": page} if page > 1 else {})}
        return "search", (q, ordering, page), f"/api/v1/search/?{urlencode(query)}"


def catalog_workload() -> tuple[Workload, int]:
    from catalog.models import Category, Product
    from catalog.seeding import ADJECTIVES, MATERIALS, NOUNS

    say("reading the catalog's active product ids...")
    product_ids = list(Product.objects.filter(is_active=True, category__is_active=True).order_by("pk")
                       .values_list("pk", flat=True).iterator(chunk_size=50_000))
    slugs: list[str | None] = [None, *Category.objects.filter(is_active=True).order_by("pk")
                               .values_list("slug", flat=True)]
    words = [w.lower() for w in (*ADJECTIVES, *MATERIALS, *NOUNS)]
    queries = words + [f"{a.lower()} {n.lower()}" for a in (*ADJECTIVES, *MATERIALS) for n in NOUNS]
    return Workload(product_ids, slugs, queries), len(product_ids)


class Members:
    """The popularity member of a listing or search, computed as the view does (the query
    parameters validated by its serializer, then normalised), once per distinct key."""

    def __init__(self):
        self.known: dict[tuple, bytes] = {}

    def of(self, kind: str, key: tuple) -> bytes:
        if (kind, key) not in self.known:
            self.known[kind, key] = self._compute(kind, key)
        return self.known[kind, key]

    def _compute(self, kind: str, key: tuple) -> bytes:
        import caching
        from catalog.listings import listing_params
        from catalog.popularity import listing_member
        from catalog.serializers import ProductListParams, SearchParams

        if kind == "listing":
            slug, ordering, _ = key
            serializer = ProductListParams(data={"ordering": ordering} if ordering else {})
            serializer.is_valid(raise_exception=True)
            category_id = caching.get_or_load("category_slug", slug) if slug else None
            return listing_member(listing_params(serializer.validated_data, category_id=category_id))
        q, ordering, _ = key
        serializer = SearchParams(data={"q": q, **({"ordering": ordering} if ordering else {})})
        serializer.is_valid(raise_exception=True)
        return listing_member(listing_params(serializer.validated_data, category_id=None,
                                             query=serializer.validated_data["q"]))


def record_history(workload: Workload, members: Members) -> dict:
    """Draw HISTORY requests and add their counts through popularity_add; returns the counts."""
    from django.core.cache import caches

    from catalog.popularity import popularity_add, popularity_decay, popularity_key

    rng = random.Random(HISTORY_SEED)
    counts: dict[str, Counter] = {"product": Counter(), "listing": Counter(), "search": Counter()}
    started = time.monotonic()
    for n in range(HISTORY):
        kind, key, _ = workload.draw(rng)
        if kind == "detail":
            counts["product"][key[0]] += 1
        else:
            counts[kind][members.of(kind, key)] += 1
        if n and n % 500_000 == 0:
            say(f"  history: {n:,} requests drawn ({time.monotonic() - started:.0f} s)")
    store = caches["sessions"].tier.client
    store.delete(*(popularity_key(kind) for kind in counts))
    popularity_add({kind: dict(c) for kind, c in counts.items()})
    popularity_decay(factor=1.0)  # no decay, the trim to KEEP a busy shop's sets live under
    say(f"history: {HISTORY:,} requests, {len(counts['product']):,} distinct products, "
        f"{len(counts['listing']):,} listings, {len(counts['search']):,} searches, recorded in "
        f"{time.monotonic() - started:.0f} s")
    return counts


def flush_cache() -> None:
    from caching.handler import redis_client

    redis_client().flushdb(asynchronous=True)
    time.sleep(1)


def warm(strategy: str) -> tuple[float, dict]:
    """Warm as `strategy` says, in this process (as a Celery worker would); seconds and counts."""
    from catalog.services import (
        WARM_PRODUCTS,
        catalog_warm,
        catalog_warm_listings,
        catalog_warm_products,
        catalog_warm_searches,
    )

    started = time.monotonic()
    if strategy == "none":
        warmed = {}
    elif strategy == "id":
        # The warm of before: products in id order, every category's listing in every order
        # (2 pages), the 200 most requested searches.
        warmed = {"listings": catalog_warm_listings(limit=0, pages=2),
                  "searches": catalog_warm_searches(limit=200, pages=1),
                  "products": catalog_warm_products(limit=WARM_PRODUCTS, by="id", rate=5_000)}
    else:
        warmed = catalog_warm()
    return time.monotonic() - started, warmed


def send(requests: list[tuple[str, tuple, str]]) -> list[tuple[str, str, int]]:
    """The requests in order from CLIENTS concurrent clients; (kind, X-Cache, status) each."""
    results: list = [None] * len(requests)
    lock, position = threading.Lock(), [0]

    def client():
        while True:
            with lock:
                index = position[0]
                position[0] += 1
            if index >= len(requests):
                return
            kind, _, path = requests[index]
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            results[index] = (kind, response.getheader("X-Cache", ""), response.status)
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def hit_ratios(results: list[tuple[str, str, int]]) -> dict[str, float | None]:
    tally: dict[str, list[int]] = {}
    for kind, x_cache, status in results:
        for name in (kind, "overall"):
            bucket = tally.setdefault(name, [0, 0, 0])
            if status == 200 and x_cache in ("HIT-L1", "HIT-L2", "STALE"):
                bucket[0] += 1
            elif status == 200 and x_cache == "MISS":
                bucket[1] += 1
            else:
                bucket[2] += 1  # a 404 (a page past the end), or no X-Cache
    ratios = {name: (h / (h + m) if h + m else None) for name, (h, m, _) in tally.items()}
    ratios["other"] = tally.get("overall", [0, 0, 0])[2]
    return ratios


def bounds(sample: list, counts: dict, members: Members) -> dict[str, float]:
    """What popularity warming cannot load: the share of the sample's requests (by kind) whose
    item is a first read within the sample and beyond what warming loads (a product outside
    the top WARM_PRODUCTS of the history (at most KEEP are kept), a listing page past WARM_PAGES
    or outside the top WARM_LISTINGS, a search page past WARM_SEARCH_PAGES or outside the top
    WARM_SEARCHES)."""
    from catalog.popularity import KEEP
    from catalog.services import WARM_LISTINGS, WARM_PAGES, WARM_PRODUCTS, WARM_SEARCH_PAGES, WARM_SEARCHES

    warmed = {"detail": {m for m, _ in counts["product"].most_common(min(WARM_PRODUCTS, KEEP["product"]))},
              "listing": {m for m, _ in counts["listing"].most_common(WARM_LISTINGS)},
              "search": {m for m, _ in counts["search"].most_common(WARM_SEARCHES)}}
    seen, cold, total, unseen_history = set(), Counter(), Counter(), 0
    for kind, key, _ in sample:
        total[kind] += 1
        if kind == "detail":
            member, page = key[0], 1
            unseen_history += member not in counts["product"]
        else:
            member, page = members.of(kind, key), key[2]
        in_warm = member in warmed[kind] and page <= {"detail": 1, "listing": WARM_PAGES,
                                                      "search": WARM_SEARCH_PAGES}[kind]
        if not in_warm and (kind, member, page) not in seen:
            cold[kind] += 1
        seen.add((kind, member, page))
    shares = {kind: cold[kind] / total[kind] for kind in total}
    shares["overall"] = sum(cold.values()) / len(sample)
    shares["detail never in the history"] = unseen_history / total["detail"]
    return shares


def run() -> str:
    setup_django()
    workload, active = catalog_workload()
    members = Members()
    counts = record_history(workload, members)
    sample_rng = random.Random(SAMPLE_SEED)
    sample = [workload.draw(sample_rng) for _ in range(REQUESTS)]
    ceiling = bounds(sample, counts, members)
    say("first reads of the sample beyond what popularity warming loads: "
        + ", ".join(f"{k} {v:.1%}" for k, v in ceiling.items()))
    rows: dict[str, list[dict]] = {name: [] for name, *_ in VARIANTS}
    web = ("--workers", WORKERS, "--worker-class", "sync")
    for repeat in range(1, REPEATS + 1):
        for name, strategy in VARIANTS:
            flush_cache()
            seconds, warmed = warm(strategy)
            with Server("bench.variants.warm_bench", {}, worker_args=web):
                ratios = hit_ratios(send(sample))
            ratios.update(warm_seconds=seconds, warmed=warmed)
            rows[name].append(ratios)
            say(f"round {repeat}/{REPEATS} {name}: warmed in {seconds:.0f} s {warmed}; hit ratio "
                + ", ".join(f"{k} {v:.1%}" for k, v in ratios.items()
                            if k in ("overall", "detail", "listing", "search") and v is not None))
    report = render(rows, ceiling, active)
    RESULTS.write_text(report)
    return report


def _median(row: list[dict], key: str) -> float | None:
    values = [r[key] for r in row if r.get(key) is not None]
    return statistics.median(values) if values else None


def render(rows: dict[str, list[dict]], ceiling: dict, active: int) -> str:
    def pct(value: float | None) -> str:
        return "" if value is None else f"{value:.1%}"

    lines = [
        "# Hit ratio after a flush, by warming strategy",
        "",
        f"{datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{active:,} active products; gunicorn {WORKERS} sync workers; history {HISTORY:,} requests; the first "
        f"{REQUESTS:,} requests of a fresh sample from {CLIENTS} clients; medians of {REPEATS} rounds "
        "(`make bench-warm`, bench/warm_after_flush.py says how the workload is drawn).",
        "",
        "| variant | warm time s | overall | details | listings | searches | non-200 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        lines.append(f"| {name} | {_median(row, 'warm_seconds'):.0f} | {pct(_median(row, 'overall'))} | "
                     f"{pct(_median(row, 'detail'))} | {pct(_median(row, 'listing'))} | "
                     f"{pct(_median(row, 'search'))} | {_median(row, 'other'):.0f} |")
    lines += [
        "",
        "What popularity warming cannot reach: the share of the sample's requests that are the first "
        "read of something outside what it loads (so a miss whatever the warming): "
        + ", ".join(f"{k} {v:.1%}" for k, v in ceiling.items()) + ".",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())

