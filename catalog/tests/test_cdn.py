"""Catalog changes reach CloudFront (moto's server) through the CDN outbox and a real Celery worker."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.test import Client

from caching.models import CdnInvalidation, CdnPath
from caching.tests.concurrency import wait_for
from caching.tests.processes import ROOT, start_celery_worker, stop_process, worker_env
from caching.tests.redis_process import RedisProcess, free_port
from catalog.models import Category, Product
from shop.tests.aws import ThrottlingProxy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def distribution(aws, settings):
    """A CloudFront distribution at moto; this process records paths for it."""
    distribution_id = aws.create_distribution()
    settings.CACHING = {**settings.CACHING, "CDN_DISTRIBUTION_ID": distribution_id, "CDN_BATCH_WINDOW": 0.5}
    return distribution_id


@pytest.fixture
def start_worker(aws, distribution, tmp_path):
    """Start a Celery worker with beat (CDN drain every second) on this test's database."""
    started: list[subprocess.Popen] = []

    def start(**env: str) -> subprocess.Popen:
        process = start_celery_worker(
            "cdn", log=tmp_path / f"worker-{len(started)}.log", beat_schedule=tmp_path / f"beat-{len(started)}",
            loglevel="INFO", env=worker_env(**{**aws.env(), "CLOUDFRONT_DISTRIBUTION_ID": distribution,
                                               "CDN_BATCH_WINDOW": "0.5", "CDN_DRAIN_SECONDS": "1", **env}))
        started.append(process)
        return process

    yield start
    for process in started:
        stop_process(process)


def invalidations(aws, distribution) -> list[list[str]]:
    """The paths of every invalidation the CDN received, oldest first."""
    client = aws.client("cloudfront")
    summaries = client.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    batches = [client.get_invalidation(DistributionId=distribution, Id=item["Id"])["Invalidation"]
               for item in summaries]
    batches.sort(key=lambda batch: batch["CreateTime"])
    return [batch["InvalidationBatch"]["Paths"].get("Items", []) for batch in batches]


def drained(aws, distribution, timeout: float = 30) -> list[list[str]]:
    assert wait_for(lambda: not CdnPath.objects.exists()
                    and not CdnInvalidation.objects.filter(status=CdnInvalidation.PENDING).exists(),
                    timeout=timeout), f"outbox not drained: {list(CdnPath.objects.values_list('path', flat=True))}"
    return invalidations(aws, distribution)


@pytest.fixture
def kettles(db) -> Category:
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen")
    return Category.objects.create(name="Kettles", slug="kettles", parent=kitchen)


def test_a_product_edit_in_the_admin_reaches_the_cdn_as_exactly_its_paths(aws, distribution, start_worker, kettles,
                                                                         make_user):
    product = Product.objects.create(sku="K-1", name="Copper Kettle", slug="copper-kettle", price=Decimal("39.90"),
                                     stock=5, category=kettles)
    CdnPath.objects.all().delete()  # the creation's paths: not what this test is about
    start_worker()
    staff = Client()
    staff.force_login(make_user("staff", is_staff=True))
    response = staff.post(f"/admin/catalog/product/{product.id}/change/", {
        "sku": product.sku, "name": product.name, "slug": product.slug, "description": "",
        "price": "44.90", "stock": "5", "category": kettles.id, "attributes": "{}", "is_active": "on"})
    assert response.status_code == 302, response.content[:500]

    sent = drained(aws, distribution)
    assert sorted(path for batch in sent for path in batch) == sorted([
        f"/api/v1/products/{product.id}/",  # its detail
        "/api/v1/products/", "/api/v1/products/?*",  # the whole catalog's listing (price orders)
        "/api/v1/categories/kettles/products/*", "/api/v1/categories/kitchen/products/*",  # its categories'
        "/api/v1/search/*",  # searches, once the index has the new price
    ])


def test_a_burst_of_500_edits_goes_out_as_a_handful_of_invalidations(aws, distribution, start_worker, kettles,
                                                                     settings):
    settings.SEARCH_CATCH_UP = "off"  # the worker's beat catches up: edits come as fast as saves go
    Product.objects.bulk_create([
        Product(sku=f"B-{i}", name=f"Kettle {i}", slug=f"kettle-{i}", price=Decimal("10.00"), stock=5,
                category=kettles, department=kettles.parent) for i in range(500)])
    start_worker()
    started = time.monotonic()
    for product in Product.objects.all():  # 500 separate commits, as 500 admin saves would be
        product.price += 1
        product.save()

    took = time.monotonic() - started
    sent = drained(aws, distribution, timeout=60)
    # At most one request per CDN_MIN_INTERVAL (5 s) while the burst lasts, and the last one.
    assert 1 <= len(sent) <= took // 5 + 2, ([len(batch) for batch in sent], took)
    assert len(sent) <= 6
    # Every edited detail is covered: 500 paths in one folder fold into its wildcard.
    assert any("/api/v1/products/*" in batch for batch in sent)
    assert all(len(batch) < 20 for batch in sent)


def test_edits_commit_with_the_broker_stopped_and_reach_the_cdn_once_when_it_is_back(aws, distribution, start_worker,
                                                                                    kettles, tmp_path):
    products = Product.objects.bulk_create([
        Product(sku=f"S-{i}", name=f"Kettle {i}", slug=f"kettle-{i}", price=Decimal("10.00"), stock=5,
                category=kettles, department=kettles.parent) for i in range(10)])
    broker_dir = tmp_path / "broker"
    broker_dir.mkdir()
    broker = RedisProcess(broker_dir, free_port())
    broker.start()
    broker_env = {"CELERY_BROKER_URL": broker.url.replace("/0", "/1"),
                  "CELERY_RESULT_BACKEND": broker.url.replace("/0", "/2")}
    start_worker(**broker_env)
    broker.stop(save=False)

    # Another process edits while its broker is down: every edit commits, none waits for it.
    started = time.monotonic()
    editor = subprocess.run(
        [sys.executable, "-m", "catalog.tests.roles", "raise_prices", *[str(p.pk) for p in products]],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=worker_env(**{**aws.env(), **broker_env, "CLOUDFRONT_DISTRIBUTION_ID": distribution}))
    assert editor.returncode == 0, editor.stderr[-3000:]
    assert time.monotonic() - started < 30
    assert "CDN drain not queued" in editor.stderr
    assert sorted(Product.objects.values_list("price", flat=True)) == [Decimal("11.00")] * 10
    assert CdnPath.objects.filter(path__in=[f"/api/v1/products/{p.pk}/" for p in products]).count() == 10
    time.sleep(2)
    assert invalidations(aws, distribution) == []  # nothing reached the CDN meanwhile

    broker.start()  # the same port and password: the worker and its beat reconnect
    sent = drained(aws, distribution, timeout=60)
    every_path = [path for batch in sent for path in batch]
    for product in products:
        assert every_path.count(f"/api/v1/products/{product.pk}/") == 1
    assert len(every_path) == len(set(every_path))  # nothing sent twice
    broker.stop(save=False)


def test_throttling_by_the_cdn_is_retried_with_backoff_until_it_succeeds(aws, distribution, start_worker, kettles):
    proxy = ThrottlingProxy(aws.port, throttle=3)
    try:
        start_worker(AWS_ENDPOINT_URL=proxy.url, CDN_API_ATTEMPTS="1", CDN_RETRY_BASE="0.5")
        product = Product.objects.create(sku="T-1", name="Kettle", slug="kettle", price=Decimal("10.00"), stock=5,
                                         category=kettles)
        sent = drained(aws, distribution, timeout=60)
    finally:
        proxy.close()
    assert proxy.throttled == 3
    assert len(sent) == 1 and f"/api/v1/products/{product.pk}/" in sent[0]
    batch = CdnInvalidation.objects.get()
    assert batch.attempts == 4  # three throttled, then accepted
    assert batch.status in (CdnInvalidation.IN_PROGRESS, CdnInvalidation.COMPLETED)


def test_no_paths_are_recorded_when_cloudfront_is_not_configured(kettles):
    Product.objects.create(sku="N-1", name="Kettle", slug="kettle", price=Decimal("10.00"), stock=5, category=kettles)
    assert not CdnPath.objects.exists()
    assert os.environ.get("CLOUDFRONT_DISTRIBUTION_ID", "") == ""
