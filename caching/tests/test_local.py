"""L1: LRU bounds, TTL, and fenced sets."""
import threading

from caching.tiers.local import LocalCache


def make(**kwargs) -> LocalCache:
    cache = LocalCache(max_entries=kwargs.pop("max_entries", 100), max_bytes=kwargs.pop("max_bytes", 10_000))
    cache.enabled = True
    return cache


def test_lru_evicts_the_least_recently_used_entry_beyond_max_entries():
    cache = make(max_entries=2)
    cache.set("a", 1, ttl=60, size=1)
    cache.set("b", 2, ttl=60, size=1)
    assert cache.get("a").value == 1  # a is now the most recent
    cache.set("c", 3, ttl=60, size=1)
    assert cache.get("b") is None
    assert cache.get("a").value == 1 and cache.get("c").value == 3


def test_byte_bound_evicts_until_it_fits_and_refuses_oversized_values():
    cache = make(max_bytes=100)
    cache.set("a", "x", ttl=60, size=60)
    cache.set("b", "y", ttl=60, size=60)
    assert cache.get("a") is None and cache.bytes_used == 60
    assert cache.set("huge", "z", ttl=60, size=101) is False


def test_entries_expire_after_their_ttl():
    cache = make()
    now = [1000.0]
    cache.clock = lambda: now[0]
    cache.set("a", 1, ttl=5, size=1)
    now[0] += 4.9
    assert cache.get("a") is not None
    now[0] += 0.2
    assert cache.get("a") is None and len(cache) == 0


def test_a_set_that_started_before_an_invalidation_is_dropped():
    cache = make()
    epoch = cache.epoch()  # a reader starts: reads L2 / the database...
    cache.invalidate(["a"])  # ...a writer's invalidation arrives...
    assert cache.set("a", "stale", ttl=60, size=1, read_epoch=epoch) is False  # ...the stale value is refused
    assert cache.set("a", "fresh", ttl=60, size=1, read_epoch=cache.epoch()) is True
    assert cache.set("b", "other key", ttl=60, size=1, read_epoch=epoch) is True


def test_clear_fences_every_read_in_flight():
    cache = make()
    epoch = cache.epoch()
    cache.clear()
    assert cache.set("a", 1, ttl=60, size=1, read_epoch=epoch) is False
    assert cache.set("a", 1, ttl=60, size=1, read_epoch=cache.epoch()) is True


def test_disabled_cache_stores_nothing():
    cache = make()
    cache.enabled = False
    assert cache.set("a", 1, ttl=60, size=1) is False


def test_concurrent_use_keeps_the_byte_count_consistent():
    cache = make(max_entries=50, max_bytes=500)

    def work(n):
        for i in range(2000):
            cache.set(f"k{(i * n) % 80}", i, ttl=60, size=7)
            cache.get(f"k{i % 80}")
            if i % 50 == 0:
                cache.invalidate([f"k{i % 80}"])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.bytes_used == 7 * len(cache) <= 500
