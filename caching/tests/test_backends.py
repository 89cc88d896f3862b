"""One contract, every level: the Django cache API on L1, L2 (standalone and Cluster) and L1+L2."""
import datetime
import os
import pickle
import threading
import time
from decimal import Decimal

import pytest
from django.conf import settings

from caching.backends.local import LocalBackend
from caching.backends.redis import RedisBackend
from caching.backends.tiered import TieredBackend


def _test_redis_url(db: int) -> str:
    base = settings.REDIS_URL.rsplit("/", 1)[0]
    return f"{base}/{db}"


def _params(**extra):
    return {"TIMEOUT": 300, **extra}


@pytest.fixture(params=["l1", "l2", "l1+l2", "l2-cluster"])
def backend(request, db):  # the database holds the outbox of writes Redis could not take
    kind = request.param
    if kind == "l1":
        cache = LocalBackend("contract", _params())
    elif kind == "l2":
        cache = RedisBackend(_test_redis_url(3), _params())
    elif kind == "l1+l2":
        cache = TieredBackend(_test_redis_url(4), _params(OPTIONS={"L1_TIMEOUT": 5}))
        cache.bus.ensure_started()
        assert cache.bus.connected.wait(5)
    else:
        cluster = request.getfixturevalue("redis_cluster")
        cache = RedisBackend(cluster.url, _params(OPTIONS={"CLUSTER": True}))
    cache.clear()
    yield cache
    cache.clear()


class TestCacheContract:
    """Django's documented cache API behaviour (docs: "The low-level cache API")."""

    def test_set_then_get_round_trips_python_values(self, backend):
        for key, value in {"dict": {"a": [1, 2]}, "str": "été", "bytes": b"\x00\xff", "int": 42,
                           "float": 1.5, "bool": True, "list": [None, 1]}.items():
            backend.set(key, value)
            assert backend.get(key) == value and type(backend.get(key)) is type(value)

    def test_get_of_a_missing_key_returns_the_default(self, backend):
        assert backend.get("missing") is None
        assert backend.get("missing", "fallback") == "fallback"

    def test_add_only_sets_a_missing_key(self, backend):
        assert backend.add("k", 1) is True
        assert backend.add("k", 2) is False
        assert backend.get("k") == 1

    def test_delete_says_whether_the_key_existed(self, backend):
        backend.set("k", 1)
        assert backend.delete("k") is True
        assert backend.delete("k") is False
        assert backend.get("k") is None

    def test_has_key(self, backend):
        backend.set("k", 0)
        assert backend.has_key("k") and not backend.has_key("other")
        assert "k" in backend

    def test_get_many_set_many_delete_many(self, backend):
        assert backend.set_many({"a": 1, "b": "two", "c": [3]}) == []
        assert backend.get_many(["a", "b", "c", "missing"]) == {"a": 1, "b": "two", "c": [3]}
        backend.delete_many(["a", "c"])
        assert backend.get_many(["a", "b", "c"]) == {"b": "two"}

    def test_incr_and_decr(self, backend):
        backend.set("n", 10)
        assert backend.incr("n") == 11
        assert backend.incr("n", 5) == 16
        assert backend.decr("n", 7) == 9
        assert backend.get("n") == 9
        with pytest.raises(ValueError):
            backend.incr("missing")

    def test_timeout_expires_values(self, backend):
        backend.set("short", "v", timeout=0.3)
        backend.set("long", "v", timeout=30)
        assert backend.get("short") == "v"
        time.sleep(0.5)
        assert backend.get("short") is None
        assert backend.get("long") == "v"

    def test_timeout_none_keeps_forever_and_zero_does_not_store(self, backend):
        backend.set("forever", "v", timeout=None)
        backend.set("never", "v", timeout=0)
        assert backend.get("forever") == "v"
        assert backend.get("never") is None
        assert backend.add("never", "v", timeout=0) is True
        assert backend.get("never") is None

    def test_touch_changes_the_expiry(self, backend):
        backend.set("k", "v", timeout=0.3)
        assert backend.touch("k", 30) is True
        time.sleep(0.5)
        assert backend.get("k") == "v"
        assert backend.touch("k", 0.3) is True
        time.sleep(0.5)
        assert backend.get("k") is None
        assert backend.touch("missing") is False

    def test_versions_are_separate_keys(self, backend):
        backend.set("k", "v1", version=1)
        backend.set("k", "v2", version=2)
        assert backend.get("k", version=1) == "v1"
        assert backend.get("k", version=2) == "v2"
        assert backend.incr_version("k", version=2) == 3
        assert backend.get("k", version=3) == "v2"
        assert backend.get("k", version=2) is None

    def test_get_or_set(self, backend):
        assert backend.get_or_set("k", lambda: "computed") == "computed"
        assert backend.get_or_set("k", lambda: "other") == "computed"

    def test_values_json_cannot_hold_exactly_are_refused_not_changed(self, backend):
        for value in (Decimal("1.50"), datetime.datetime(2026, 1, 1), {"when": datetime.date(2026, 1, 1)}, object()):
            with pytest.raises(TypeError):
                backend.set("k", value)
        assert backend.get("k") is None

    def test_clear_empties_the_cache(self, backend):
        backend.set_many({"a": 1, "b": 2})
        backend.clear()
        assert backend.get_many(["a", "b"]) == {}


class _RunsCode:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.mark.parametrize("backend_class", [RedisBackend, TieredBackend])
def test_bytes_the_backend_did_not_write_run_nothing_and_are_a_miss(backend_class, tmp_path, db):
    cache = backend_class(_test_redis_url(3), _params())
    marker = tmp_path / "ran"
    raw = cache.tier.client
    for name, blob in {"pickle": pickle.dumps(_RunsCode(marker)), "junk": b"\x02{not json", "text": b"12abc"}.items():
        raw.set(cache.make_key(name), blob)
        assert cache.get(name, "default") == "default"
        assert cache.get_many([name]) == {}
        assert raw.exists(cache.make_key(name)) == 0  # dropped, so the next write replaces it
    assert not marker.exists()


def test_key_prefixes_keep_two_caches_apart(db):
    url = _test_redis_url(3)
    shop, blog = RedisBackend(url, _params(KEY_PREFIX="shop")), RedisBackend(url, _params(KEY_PREFIX="blog"))
    shop.set("k", "shop value")
    assert blog.get("k") is None
    blog.set("k", "blog value")
    assert shop.get("k") == "shop value"


def test_tiered_backend_keeps_l1_coherent_across_processes_caches(db):
    url = _test_redis_url(4)
    # Two backends with separate L1s and broadcast links on one Redis and one channel,
    # as two processes would have.
    here = TieredBackend(url, _params(OPTIONS={"CHANNEL": "contract-coherence"}))
    there = TieredBackend(url.replace("127.0.0.1", "localhost"), _params(OPTIONS={"CHANNEL": "contract-coherence"}))
    for cache in (here, there):
        cache.bus.ensure_started()
        assert cache.bus.connected.wait(5)
    assert here.l1 is not there.l1
    here.set("k", "old")
    assert here.get("k") == "old"
    assert here.get("k") == "old"
    assert here.l1.get(here.make_key("k")) is not None  # held in L1
    there.set("k", "new")
    deadline = time.monotonic() + 5
    while here.l1.get(here.make_key("k")) is not None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert here.get("k") == "new"


def test_tiered_backend_is_thread_safe_under_concurrent_writes(db):
    cache = TieredBackend(_test_redis_url(4), _params())
    cache.set("counter", 0)

    def bump():
        for _ in range(100):
            cache.incr("counter")

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.get("counter") == 400
