"""Warming and invalidations run on queues of their own, each taken by its own worker."""
from __future__ import annotations

import subprocess

import pytest
import redis
from django.conf import settings

from caching.datatypes import registry
from caching.handler import redis_client
from caching.tasks import drain_cdn
from caching.tests.concurrency import wait_for
from caching.tests.processes import start_celery_worker, stop_process
from catalog.models import Product
from catalog.popularity import flush_counts
from catalog.tasks import warm_popular

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def empty_queues():
    """The Redis broker, its queues empty: kombu keeps each queue's messages in a list named
    after it."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("warming", "invalidations", "default")
    yield client
    client.delete("warming", "invalidations", "default")


def start_worker(queues: str, tmp_path) -> subprocess.Popen:
    return start_celery_worker(queues, log=tmp_path / f"{queues}.log", queues=queues.split(","), loglevel="INFO")


def test_warming_and_invalidation_tasks_are_queued_apart(empty_queues):
    warm_popular.delay()
    drain_cdn.delay()
    assert empty_queues.llen("warming") == 1
    assert empty_queues.llen("invalidations") == 1


def test_a_warming_worker_warms_what_shoppers_requested_and_leaves_invalidations_alone(api_client, make_product,
                                                                                       empty_queues, tmp_path):
    requested, ignored = make_product(), make_product()
    for _ in range(3):
        assert api_client.get(f"/api/v1/products/{requested.pk}/").status_code == 200
    flush_counts()
    redis_client().flushdb()  # a flush: nothing is cached, the counts (store Redis) remain
    worker = start_worker("warming", tmp_path)
    try:
        drain_cdn.delay()  # not this worker's queue
        warm_popular.delay(only_missing=False)
        product_type = registry.get("product")
        assert wait_for(lambda: redis_client().exists(product_type.key(requested.pk)), timeout=30), \
            (tmp_path / "warming.log").read_text()[-3000:]
    finally:
        stop_process(worker)
    assert not redis_client().exists(product_type.key(ignored.pk))
    assert empty_queues.llen("invalidations") == 1  # still waiting for its own worker
    assert Product.objects.count() == 2
