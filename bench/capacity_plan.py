"""The capacity plan's arithmetic (docs/capacity.md), from the measured figures to a bill.

    .venv/bin/python -m bench.capacity_plan     (after `make bench-capacity`; reads bench/out/capacity.json)

Each function is one step of docs/capacity.md, so every figure there can be recomputed:
edge and cache hit ratios from each level's TTL (the TTL model: a key requested at rate r
through a cache of TTL T misses r / (1 + r T) times a second), origin requests, web vCPUs,
Redis commands and memory, database statements and readers, and the monthly cost. The
assumptions (traffic mix, key counts, prices) are in ASSUMPTIONS and PRICES, stated once.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURED = ROOT / "bench" / "out" / "capacity.json"
HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
GIB = 1024 ** 3


@dataclass(frozen=True)
class Kind:
    """One kind of request at the edge: its share of peak traffic, how many distinct URLs or
    owners its reads spread over (Zipf exponent `zipf`; 0: evenly), and each level's TTL in
    seconds (0: that level does not cache it)."""

    share: float
    keys: int
    zipf: float
    cdn_ttl: float
    api_ttl: float
    l2_ttl: float
    response_bytes: int


# Peak traffic and what it reads (docs/capacity.md, "Assumptions"). TTLs as shipped: the apps'
# cache.py (L2 TTLs, edge s-maxage; catalog/cache.py's PRODUCT_TTL holds products, their cards
# and listing pages 3,600 s in L2, past the edge's 300 s) and deploy/edge/apigateway.yaml
# (stage cache TTLs).
PEAK_RPS = 100_000
PRODUCTS = 10_000_000
ACTIVE_USERS = 5_000_000
ORDERS_PER_HOUR = 50_000
AVERAGE_OF_PEAK = 0.30  # the month's mean load as a share of the peak (request-priced services)
REGIONAL_EDGE_CACHES = 13  # CloudFront's regional edge caches: independent caches in front of the origin
HEADROOM = 0.35  # capacity kept free at the peak: web, Redis and database alike
ASSUMPTIONS = {
    "detail": Kind(0.40, PRODUCTS, 0.99, 300, 300, 3600, 1_100),
    "listing": Kind(0.20, 200_000, 0.99, 300, 300, 3600, 5_000),
    "search": Kind(0.15, 2_000_000, 0.99, 60, 60, 600, 5_000),
    "cart": Kind(0.08, ACTIVE_USERS, 0, 0, 0, 3600, 1_000),
    "session": Kind(0.07, ACTIVE_USERS, 0, 0, 0, math.inf, 300),  # sliding, on a store that never evicts
    "profile": Kind(0.03, ACTIVE_USERS, 0, 0, 0, 900, 500),
    "orders": Kind(0.02, ACTIVE_USERS, 0, 0, 0, 60, 2_000),
    "write": Kind(0.05, 1, 0, 0, 0, 0, 1_000),
}

# us-east-1, on demand, USD (docs/capacity.md, "Prices", says where each one was read).
PRICES = {
    "fargate_vcpu_hour": 0.04048,
    "fargate_gb_hour": 0.004445,
    "cache_node_hour": {"cache.r7g.large": 0.219, "cache.r7g.xlarge": 0.437, "cache.r7g.2xlarge": 0.873},
    "aurora_hour": {"db.r7g.large": 0.26, "db.r7g.xlarge": 0.52, "db.r7g.2xlarge": 1.04, "db.r7g.4xlarge": 2.08,
                    "db.r7g.8xlarge": 4.16},
    "aurora_io_optimized_factor": 1.30,
    "api_requests_per_million": ((333e6, 3.50), (667e6, 2.80), (19e9, 2.38), (math.inf, 1.51)),
    "api_cache_hour": {0.5: 0.02, 1.6: 0.038, 6.1: 0.20, 13.5: 0.25, 28.4: 0.50, 58.2: 1.00, 118: 1.90, 237: 3.80},
    "cloudfront_https_per_10k": 0.0100,
    "cloudfront_gb": ((10 * 1024, 0.085), (40 * 1024, 0.080), (100 * 1024, 0.060), (350 * 1024, 0.040),
                      (math.inf, 0.030)),
    "alb_hour": 0.0225 + 0.008 * 40,  # the balancer and about 40 LCUs (rule evaluations at the origin's rate)
}
NODE_GIB = {"cache.r7g.large": 13.07, "cache.r7g.xlarge": 26.32, "cache.r7g.2xlarge": 52.82}
RESERVED_MEMORY = 0.25  # ElastiCache's default reserved-memory-percent: kept for replication and snapshots
MEMORY_TARGET = 0.80  # the seed: memory under 80 % of capacity
DB_STATEMENTS_PER_VCPU = 7_000  # one core fully busy at 140 us a primary-key query (ENVIRONMENT.md)
READER_VCPUS = {"db.r7g.large": 2, "db.r7g.xlarge": 4, "db.r7g.2xlarge": 8, "db.r7g.4xlarge": 16,
                "db.r7g.8xlarge": 32}


def key_rates(total: float, keys: int, zipf: float):
    """Requests per second of each key, most requested first: Zipf(`zipf`) over `keys` keys
    (0: evenly). A generator: ten million keys need no list."""
    if zipf == 0:
        for _ in range(keys):
            yield total / keys
        return
    norm = sum(i ** -zipf for i in range(1, keys + 1))
    for i in range(1, keys + 1):
        yield total * i ** -zipf / norm


def ttl_chain(total: float, kind: Kind, caches: int = REGIONAL_EDGE_CACHES) -> dict:
    """Requests per second that miss each level, and the entries L2 holds on average: CloudFront
    (`caches` independent caches sharing the traffic), API Gateway's stage cache (one cache behind
    them), L2 (one cache behind that). A level whose TTL is not longer than the single cache before
    it gains nothing: that cache's misses for a key come at least its TTL apart, so the entry the
    level stored at the previous one has expired (counted as misses). Keys read evenly are one
    key's figures times their number."""
    single_before = kind.api_ttl or 0
    l2_gains = kind.l2_ttl > single_before
    sums = {"after_cdn": 0.0, "after_api": 0.0, "loads": 0.0, "l2_resident": 0.0}
    rates = key_rates(total, kind.keys, kind.zipf) if kind.zipf else [total / kind.keys]
    if math.isinf(kind.l2_ttl):  # always held: every read an L2 hit
        return {"requests": total, "after_cdn": total, "after_api": total, "loads": 0.0,
                "l2_resident": float(kind.keys)}
    for rate in rates:
        after_cdn = _misses(rate / caches, kind.cdn_ttl) * caches
        after_api = _misses(after_cdn, kind.api_ttl)
        after_l2 = _misses(after_api, kind.l2_ttl) if l2_gains else after_api
        sums["after_cdn"] += after_cdn
        sums["after_api"] += after_api
        sums["loads"] += after_l2
        # Resident a share r T / (1 + r T) of the time: one load per TTL, held for the TTL.
        sums["l2_resident"] += after_l2 * kind.l2_ttl if l2_gains else 0.0
    weight = 1 if kind.zipf else kind.keys
    return {"requests": total, **{name: value * weight for name, value in sums.items()}}


def _misses(rate: float, ttl: float) -> float:
    """The TTL model: a key read at `rate` (Poisson) through a cache of TTL `ttl` misses once per
    TTL plus the wait for the next read."""
    return rate if ttl <= 0 else rate / (1 + rate * ttl)


def hit_ratio(before: float, after: float) -> float:
    return 1 - after / before if before else 0.0


def seconds_per_request(*, rps_hit: float, rps_spread: float, spread_hit_ratio: float) -> tuple[float, float]:
    """A worker's seconds for a hit and for a miss (a load): the hit from the run where every read
    hit, the miss from the spread run, whose time is hits and misses in its measured proportion."""
    hit = 1 / rps_hit
    if spread_hit_ratio >= 1:
        return hit, hit
    miss = (1 / rps_spread - spread_hit_ratio * hit) / (1 - spread_hit_ratio)
    return hit, max(miss, hit)


def per_request(*, on_hit: float, spread: float, spread_hit_ratio: float) -> tuple[float, float]:
    """Anything counted per request (Redis commands, statements) split the same way into a hit's
    and a load's count."""
    if spread_hit_ratio >= 1:
        return on_hit, on_hit
    on_load = (spread - spread_hit_ratio * on_hit) / (1 - spread_hit_ratio)
    return on_hit, max(on_load, on_hit)


def tiered(quantity: float, tiers) -> float:
    """Cost of `quantity` under (tier size, unit price) tiers, cheapest last."""
    cost, left = 0.0, quantity
    for size, price in tiers:
        used = min(left, size)
        cost += used * price
        left -= used
        if left <= 0:
            break
    return cost


def shards_for(*, data_bytes: float, node: str, ops_equivalents: float, node_ops: float) -> dict:
    """Primaries needed for memory (data under MEMORY_TARGET of what the node leaves after its
    reserved memory) and for throughput (under 1 - HEADROOM of one node's measured rate)."""
    usable = NODE_GIB[node] * GIB * (1 - RESERVED_MEMORY)
    for_memory = math.ceil(data_bytes / (usable * MEMORY_TARGET))
    for_ops = math.ceil(ops_equivalents / (node_ops * (1 - HEADROOM)))
    shards = max(for_memory, for_ops, 1)
    return {"node": node, "for_memory": for_memory, "for_ops": for_ops, "shards": shards,
            "memory_used": data_bytes / (shards * usable)}


def readers_for(statements: float, instance: str) -> int:
    """Aurora readers for `statements` a second, each under 1 - HEADROOM busy, plus one so that
    losing a reader (or promoting one to writer) keeps the rest under that."""
    per_reader = DB_STATEMENTS_PER_VCPU * READER_VCPUS[instance] * (1 - HEADROOM)
    return math.ceil(statements / per_reader) + 1


def instance_for(statements: float) -> str:
    """The smallest instance class whose vCPUs take `statements` a second under 1 - HEADROOM busy
    (the writer: it does not scale out)."""
    for instance, vcpus in sorted(READER_VCPUS.items(), key=lambda item: item[1]):
        if statements <= DB_STATEMENTS_PER_VCPU * vcpus * (1 - HEADROOM):
            return instance
    return max(READER_VCPUS, key=READER_VCPUS.get)


def api_cache_size(data_bytes: float) -> float:
    """The smallest API Gateway cache size holding `data_bytes` under MEMORY_TARGET."""
    for size in sorted(PRICES["api_cache_hour"]):
        if data_bytes <= size * 1e9 * MEMORY_TARGET:
            return size
    return max(PRICES["api_cache_hour"])


def plan(measured: dict, kinds: dict[str, Kind] = ASSUMPTIONS) -> dict:
    """Every step of docs/capacity.md from the measured figures (bench/out/capacity.json)."""
    s = measured["summary"]
    public = {"detail": ("detail_hot", "detail"), "listing": ("listing_hot", "listing"),
              "search": ("search_hot", "search")}
    levels, web, commands, statements = {}, {}, {}, {}
    for name, kind in kinds.items():
        if name == "write":
            continue
        levels[name] = ttl_chain(PEAK_RPS * kind.share, kind)
        if name in public:
            hot, spread = (s[k] for k in public[name])
            hit_ratio_spread = spread["hit_ratio"] or 0.0
            web[name] = seconds_per_request(rps_hit=hot["rps_no_l1"], rps_spread=spread["rps"],
                                            spread_hit_ratio=hit_ratio_spread)
            commands[name] = per_request(on_hit=_cache_commands(hot, "l1_miss"),
                                         spread=_cache_commands(spread, "l1_miss"), spread_hit_ratio=hit_ratio_spread)
            statements[name] = per_request(on_hit=hot["statements_per_1000"] / 1000,
                                           spread=spread["statements_per_1000"] / 1000,
                                           spread_hit_ratio=hit_ratio_spread)
        else:
            # Measured with every read a hit; a miss costs what a product load adds to a product hit.
            row = s[name]
            detail_hit, detail_miss = web["detail"]
            web[name] = (1 / row["rps"], 1 / row["rps"] + detail_miss - detail_hit)
            # A private miss adds the lease and the fenced store to the read (the README's three round trips).
            commands[name] = (_cache_commands(row, "l1_miss"), _cache_commands(row, "l1_miss") + 2)
            statements[name] = (row["statements_per_1000"] / 1000,
                                row["statements_per_1000"] / 1000 + statements["detail"][1])
    writes_rps = PEAK_RPS * kinds["write"].share
    writes = measured["writes"]
    checkouts = ORDERS_PER_HOUR / 3600
    # A write is costed as a cart line added (most writes are): a logged-in request's framework
    # (a cart read) plus the service's own time; a checkout likewise.
    write_seconds = web["cart"][0] + writes["cart_add_ms"] / 1000
    checkout_seconds = web["cart"][0] + writes["checkout_ms"] / 1000

    origin = {name: levels[name]["after_api"] for name in levels}
    loads = {name: levels[name]["loads"] for name in levels}
    busy = sum(origin[n] * web[n][0] + loads[n] * (web[n][1] - web[n][0]) for n in levels)
    busy += writes_rps * write_seconds + checkouts * checkout_seconds
    vcpus = math.ceil(busy / (1 - HEADROOM))
    tasks = math.ceil(vcpus / 1)  # deploy/app.yaml's web task: 1 vCPU, 2 GB, 2 sync workers

    node = measured["ops"]  # the GET rate of a product entry stands for every command but MGET
    get_rate = node["product"]["get"]
    mget_weight = get_rate / node["listing_page"]["mget"]
    cache_commands = sum(origin[n] * commands[n][0] + loads[n] * (commands[n][1] - commands[n][0]) for n in levels)
    mget_share = {n: s[k]["l1_miss_cache"].get("mget", 0) for n, k in (("listing", "listing"), ("search", "search"))}
    cache_equivalents = cache_commands + sum(origin[n] * mget_share[n] * (mget_weight - 1) for n in mget_share)
    cache_equivalents += writes_rps * 10  # a write's invalidations and write-through: about ten commands
    store_commands = sum(origin[n] * (_store_commands(s, n)) for n in levels) + writes_rps * 2

    sizes = measured["sizes"]
    warm = measured["warm"]
    per_product = warm["detail_bytes"] + warm["card_bytes"]
    memory = {
        "products": PRODUCTS * per_product,
        "listing": levels["listing"]["l2_resident"] * _entry(sizes, "listing_page")
        or kinds["listing"].keys * _entry(sizes, "listing_page"),
        "search": levels["search"]["l2_resident"] * _entry(sizes, "search"),
        "cart": ACTIVE_USERS * _entry(sizes, "cart"),
        "profile": levels["profile"]["l2_resident"] * _entry(sizes, "profile"),
        "orders": levels["orders"]["l2_resident"] * _entry(sizes, "order_history"),
    }
    cache_bytes = sum(memory.values())
    store_bytes = ACTIVE_USERS * _entry(sizes, "session")
    cache = min((shards_for(data_bytes=cache_bytes, node=n, ops_equivalents=cache_equivalents, node_ops=get_rate)
                 for n in NODE_GIB), key=lambda c: c["shards"] * PRICES["cache_node_hour"][c["node"]] * 2)
    store = shards_for(data_bytes=store_bytes, node="cache.r7g.large", ops_equivalents=store_commands,
                       node_ops=node["session"]["get"])

    reads = sum(origin[n] * statements[n][0] + loads[n] * (statements[n][1] - statements[n][0]) for n in levels)
    write_statements = writes_rps * writes["cart_add"] + checkouts * writes["checkout"]
    reader_class = "db.r7g.2xlarge"
    readers = readers_for(reads, reader_class)
    writer_class = instance_for(write_statements)

    api_cache_bytes = sum(min(kinds[n].keys, levels[n]["after_cdn"] * kinds[n].api_ttl)
                          * kinds[n].response_bytes for n in ("detail", "listing", "search"))
    api_size = api_cache_size(api_cache_bytes)

    month_requests = PEAK_RPS * AVERAGE_OF_PEAK * SECONDS_PER_MONTH
    edge_share = sum(levels[n]["after_cdn"] for n in levels) / PEAK_RPS + kinds["write"].share
    month_bytes = sum(kind.share * kind.response_bytes for kind in kinds.values()) * month_requests / 1e9
    cache_node_price = PRICES["cache_node_hour"][cache["node"]]
    cost = {
        "web (Fargate)": tasks * (PRICES["fargate_vcpu_hour"] + 2 * PRICES["fargate_gb_hour"]) * HOURS_PER_MONTH,
        "load balancer": PRICES["alb_hour"] * HOURS_PER_MONTH,
        "ElastiCache, cache cluster": cache["shards"] * 2 * cache_node_price * HOURS_PER_MONTH,
        "ElastiCache, session store": store["shards"] * 2 * PRICES["cache_node_hour"][store["node"]] * HOURS_PER_MONTH,
        "Aurora (writer, readers; I/O-Optimized)": (PRICES["aurora_hour"][writer_class]
                                                    + readers * PRICES["aurora_hour"][reader_class])
        * PRICES["aurora_io_optimized_factor"] * HOURS_PER_MONTH,
        "API Gateway cache": PRICES["api_cache_hour"][api_size] * HOURS_PER_MONTH,
        "API Gateway requests": tiered(month_requests * edge_share / 1e6,
                                       [(size / 1e6, price) for size, price in PRICES["api_requests_per_million"]]),
        "CloudFront requests": month_requests / 10_000 * PRICES["cloudfront_https_per_10k"],
        "CloudFront data transfer": tiered(month_bytes, PRICES["cloudfront_gb"]),
    }
    total = sum(cost.values())
    cache_items = ("ElastiCache, cache cluster", "ElastiCache, session store", "API Gateway cache")
    cache_cost = sum(cost[item] for item in cache_items)
    with_cloudfront = cache_cost + cost["CloudFront requests"] + cost["CloudFront data transfer"]
    return {
        "levels": levels, "web": web, "commands": commands, "statements": statements,
        "write_seconds": write_seconds, "writes_rps": writes_rps, "busy_vcpus": busy, "vcpus": vcpus, "tasks": tasks,
        "cache_commands": cache_commands, "cache_equivalents": cache_equivalents, "store_commands": store_commands,
        "memory": memory, "cache_bytes": cache_bytes, "store_bytes": store_bytes, "cache": cache, "store": store,
        "per_product": per_product, "read_statements": reads, "write_statements": write_statements,
        "readers": readers, "reader_class": reader_class, "writer_class": writer_class,
        "api_cache_bytes": api_cache_bytes, "api_cache_size": api_size, "month_requests": month_requests,
        "edge_share": edge_share, "month_gb": month_bytes, "cost": cost, "total": total,
        "cache_cost": cache_cost, "cache_share": cache_cost / total,
        "cache_share_with_cloudfront": with_cloudfront / total,
    }


def _cache_commands(row: dict, variant: str) -> float:
    return sum(row[f"{variant}_cache"].values())


def _store_commands(summary: dict, name: str) -> float:
    return sum(summary[name]["l1_miss_store"].values())


def _entry(sizes: dict, data_type: str) -> float:
    """Bytes one entry takes in Redis: its MEMORY USAGE and its fence's."""
    figures = sizes[data_type]
    return figures["memory_usage"] + figures.get("fence_memory_usage", 0)


def render(result: dict) -> str:
    lines = ["| kind | edge req/s | after CloudFront | origin (after API GW) | loads/s | CloudFront hit | "
             "API GW hit | L2 hit | worker ms hit / load | vCPUs busy | cache commands/s | DB statements/s |",
             "|" + "---|" * 12]
    for name, level in result["levels"].items():
        share = {}
        for key in ("web", "commands", "statements"):
            on_hit, on_load = result[key][name]
            share[key] = level["after_api"] * on_hit + level["loads"] * (on_load - on_hit)
        hit, load = result["web"][name]
        lines.append(
            f"| {name} | {level['requests']:,.0f} | {level['after_cdn']:,.0f} | {level['after_api']:,.0f} | "
            f"{level['loads']:,.0f} | {hit_ratio(level['requests'], level['after_cdn']):.1%} | "
            f"{hit_ratio(level['after_cdn'], level['after_api']):.1%} | "
            f"{hit_ratio(level['after_api'], level['loads']):.1%} | {hit * 1000:.2f} / {load * 1000:.2f} | "
            f"{share['web']:,.1f} | {share['commands']:,.0f} | {share['statements']:,.0f} |")
    lines += ["", "| figure | value |", "|---|---|"]
    for key in ("busy_vcpus", "vcpus", "tasks", "cache_commands", "cache_equivalents", "store_commands",
                "per_product", "cache_bytes", "store_bytes", "read_statements", "write_statements", "readers",
                "api_cache_bytes", "api_cache_size", "month_requests", "edge_share", "month_gb", "write_seconds"):
        lines.append(f"| {key} | {result[key]:,.3f} |" if isinstance(result[key], float) else
                     f"| {key} | {result[key]:,} |")
    lines += [f"| cache cluster | {result['cache']} |", f"| session store | {result['store']} |",
              f"| Aurora | writer {result['writer_class']}, {result['readers']} x {result['reader_class']} |",
              "| product detail, product data served without a load | "
              f"{hit_ratio(result['levels']['detail']['requests'], result['levels']['detail']['loads']):.1%} |",
              f"| memory | { {k: round(v / GIB, 2) for k, v in result['memory'].items()} } GiB |", "",
              "| item | USD a month |", "|---|---|"]
    lines += [f"| {item} | {cost:,.0f} |" for item, cost in result["cost"].items()]
    lines += [f"| total | {result['total']:,.0f} |",
              f"| cache share (ElastiCache + API Gateway cache) | {result['cache_share']:.1%} |",
              f"| cache share counting CloudFront as cache | {result['cache_share_with_cloudfront']:.1%} |"]
    return "\n".join(lines)


def l2_at_edge_ttl(ttl: float = 300) -> dict[str, Kind]:
    """The assumptions with product and listing entries held in L2 only `ttl` seconds, as long
    as at the edge (as before catalog/cache.py's PRODUCT_TTL): an edge miss then finds L2
    expired too, so every origin read of a product is a load."""
    return {name: replace(kind, l2_ttl=ttl) if name in ("detail", "listing") else kind
            for name, kind in ASSUMPTIONS.items()}


if __name__ == "__main__":
    measured = json.loads(MEASURED.read_text())
    print(render(plan(measured)))
    print("\nWith product and listing entries held in L2 only as long as at the edge (300 s):\n")
    print(render(plan(measured, l2_at_edge_ttl())))
