"""Fixtures shared by every app's tests: clients, users and a small catalog."""
import os
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from caching.backends.redis import reset_levels
from caching.handler import get_layer, redis_client
from caching.tests.redis_process import private_redis  # noqa: F401  (a fixture)
from catalog.models import Category, Product
from shop.tests.aws import aws, moto_server  # noqa: F401  (fixtures)

PASSWORD = "a-long-test-password-42"
# What a private request served from the cache still asks the database: one query that
# reads the user only if the session's row still exists (a revoked session is never
# accepted, whatever Redis holds).
SESSION_CHECK_QUERIES = 1


def on_redis_cluster() -> bool:
    """The second pass of `make test`: the layer's L2 on a Redis Cluster (CACHING_REDIS_CLUSTER)."""
    from django.conf import settings

    return bool(settings.CACHING.get("REDIS_CLUSTER"))


def pytest_report_header(config):
    from django.conf import settings

    def kind(cluster) -> str:
        return "Redis Cluster" if cluster else "standalone Redis"

    # Says which pass this is: a cluster pass that fell back to standalone would pass unnoticed.
    sessions_cluster = settings.CACHES["sessions"]["OPTIONS"].get("CLUSTER")
    return f"cache layer L2: {kind(on_redis_cluster())}; sessions: {kind(sessions_cluster)}"


def pytest_collection_modifyitems(config, items):
    """On the cluster pass, skip the tests that start a private standalone redis-server (to
    stop, pause, fill, demote or proxy it): they never touch the cluster, so they would only
    repeat the first pass."""
    if not on_redis_cluster():
        return
    skip = pytest.mark.skip(reason="on Redis Cluster: faults a private standalone redis-server (run in the first pass)")
    for item in items:
        if "private_redis" in item.fixturenames:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _search_index_dir(tmp_path_factory):
    """The search index of this test run, apart from `make run`'s: for this process and the
    servers and workers the tests start."""
    from django.conf import settings

    path = str(tmp_path_factory.mktemp("search-index"))
    settings.SEARCH_INDEX_DIR = os.environ["SEARCH_INDEX_DIR"] = path


@pytest.fixture(autouse=True)
def _empty_search_index(_search_index_dir):
    """Each test starts with an empty search index (ids are reused when tables are truncated)."""
    from catalog.search_index import search_index

    index = search_index()
    if index.document_count():
        index.clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: Redis (the test server's own database) and this process's L1."""
    # FLUSHDB ASYNC: the keys are gone at once, their memory is freed in the background
    # (a synchronous flush of a large database would outlast the socket timeout).
    get_redis_connection("default").flushdb(asynchronous=True)
    caches["sessions"].tier.client.flushdb(asynchronous=True)  # the store: sessions, popularity
    if on_redis_cluster():  # L2 is not the default server: on a cluster, FLUSHDB reaches every master
        redis_client().flushdb(asynchronous=True)
    get_layer().l1.clear()
    reset_levels()
    yield


@pytest.fixture(autouse=True)
def _empty_broker_queues():
    """Each test starts with no task waiting: a task another test queued (the staff API's
    warm and invalidate, under fuzzing, queue thousands) would run in this test's worker."""
    import redis
    from django.conf import settings

    from shop.celery import ALL_QUEUES

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*ALL_QUEUES, "unacked", "unacked_index")
    client.close()
    yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db):
    def make(username: str = "alice", *, is_staff: bool = False, **extra):
        return get_user_model().objects.create_user(
            username=username, password=PASSWORD, email=f"{username}@example.com", is_staff=is_staff,
            is_superuser=is_staff, **extra
        )

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def user_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(make_user) -> APIClient:
    """Logged in as a staff member (a superuser): the admin and the staff API. An APIClient
    posts dicts as form data, as a browser does, or as JSON with format="json"."""
    client = APIClient()
    client.force_login(make_user("staff", is_staff=True))
    return client


@pytest.fixture
def category(db) -> Category:
    return Category.objects.create(name="Kitchen", slug="kitchen")


@pytest.fixture
def make_product(category):
    counter = iter(range(1, 1_000_000))

    def make(**fields) -> Product:
        n = next(counter)
        defaults = {
            "sku": f"SKU-{n:05d}",
            "name": f"Product {n}",
            "slug": f"product-{n}",
            "description": "A fine product.",
            "price": Decimal("10.00"),
            "stock": 10,
            "category": category,
        }
        defaults.update(fields)
        return Product.objects.create(**defaults)

    return make


@pytest.fixture
def product(make_product) -> Product:
    return make_product(name="Copper Kettle", price=Decimal("39.90"), stock=5)


def checkout(client, **body):
    """POST orders/ naming the cart version the client sees now, as a front end does."""
    version = client.get("/api/v1/cart/").json()["version"]
    return client.post("/api/v1/orders/", {"cart_version": version, **body}, format="json")
