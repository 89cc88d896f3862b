"""The CDN drain against moto's CloudFront: idempotent requests, the CDN's limits, one drain at a time."""
import time

import pytest

from caching.cdn.cloudfront import CloudFront
from caching.cdn.drain import backoff, drain_cdn
from caching.cdn.outbox import record_paths
from caching.conf import settings as caching_settings
from caching.leases import lease
from caching.models import CdnInvalidation, CdnPath
from shop.tests.aws import StageCacheProxy, ThrottlingProxy

pytestmark = pytest.mark.django_db


@pytest.fixture
def distribution(aws, settings):
    distribution_id = aws.create_distribution()
    settings.CACHING = {**settings.CACHING, "CDN_DISTRIBUTION_ID": distribution_id, "CDN_MIN_INTERVAL": 0,
                        "CDN_API_ATTEMPTS": 1, "CDN_RETRY_BASE": 0.01}
    return distribution_id


def sent_references(aws, distribution) -> list[str]:
    client = aws.client("cloudfront")
    items = client.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    return [client.get_invalidation(DistributionId=distribution, Id=item["Id"])["Invalidation"]["InvalidationBatch"]
            ["CallerReference"] for item in items]


@pytest.fixture
def stage(aws, settings) -> str:
    """A REST API at moto with a cached stage `prod` in front of the shop; purged for this process."""
    client = aws.client("apigateway")
    api = client.create_rest_api(name="shop")["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    client.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="HTTP_PROXY",
                           integrationHttpMethod="GET", uri="https://origin.example.com/")
    client.create_deployment(restApiId=api, stageName="prod", cacheClusterEnabled=True, cacheClusterSize="0.5")
    settings.CACHING = {**settings.CACHING, "APIGATEWAY_REST_API_ID": api, "APIGATEWAY_STAGE_NAME": "prod"}
    return api


class SlowCloudFront(CloudFront):
    """A CDN that takes its time: nothing completes (moto completes every request at once)."""

    def is_completed(self, invalidation_id: str) -> bool:
        return False


def test_a_refused_request_is_sent_again_with_the_same_caller_reference(aws, distribution, monkeypatch):
    record_paths(["/api/v1/products/1/", "/api/v1/search/*"])
    proxy = ThrottlingProxy(aws.port, throttle=1)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        first = drain_cdn()
        assert first.sent == [] and first.retry_in is not None
        batch = CdnInvalidation.objects.get()
        assert batch.status == CdnInvalidation.PENDING and batch.attempts == 1 and "Throttling" in batch.last_error
        assert CdnPath.objects.filter(invalidation=batch).count() == 2  # kept until the CDN accepts them
        time.sleep(first.retry_in)
        second = drain_cdn()
    finally:
        proxy.close()
    assert second.sent == [batch.caller_reference]
    assert sent_references(aws, distribution) == [batch.caller_reference]
    assert not CdnPath.objects.exists()


def test_paths_wait_while_the_cdn_has_its_limit_in_progress(aws, distribution, settings):
    settings.CACHING = {**settings.CACHING, "CDN_MAX_WILDCARDS": 2}
    cdn = SlowCloudFront(distribution)
    record_paths(["/api/v1/categories/a/products/*", "/api/v1/search/*"])
    assert len(drain_cdn(cdn).sent) == 1
    record_paths(["/api/v1/categories/b/products/*", "/api/v1/products/7/"])
    report = drain_cdn(cdn)
    # No wildcard room left: the plain path goes, the wildcard waits for the CDN.
    assert CdnInvalidation.objects.order_by("id").last().items == ["/api/v1/products/7/"]
    assert report.waiting == 1
    assert list(CdnPath.objects.values_list("path", flat=True)) == ["/api/v1/categories/b/products/*"]
    CdnInvalidation.objects.update(status=CdnInvalidation.COMPLETED)  # the CDN finished
    drain_cdn(cdn)
    assert not CdnPath.objects.exists()


def test_only_one_drain_runs_at_a_time():
    with lease("cdn-drain:E1", ttl=60) as first:
        with lease("cdn-drain:E1", ttl=60) as second:
            assert (first, second) == (True, False)
    with lease("cdn-drain:E1", ttl=60) as again:
        assert again  # released on exit


def test_a_lease_whose_holder_died_expires():
    with lease("cdn-drain:E2", ttl=0.2) as first:
        time.sleep(0.3)
        with lease("cdn-drain:E2", ttl=60) as second:
            assert first and second


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.CACHING = {"CDN_RETRY_BASE": 1.0, "CDN_RETRY_MAX": 10.0}
    assert 0.5 <= backoff(1) <= 1.0
    assert 4.0 <= backoff(4) <= 8.0
    assert 5.0 <= backoff(20) <= 10.0
    assert len({backoff(3) for _ in range(20)}) > 1


def test_the_api_gateway_stage_cache_is_flushed_for_the_same_changes_as_the_cdn(aws, distribution, stage,
                                                                                monkeypatch):
    proxy = StageCacheProxy(aws.port, throttle=1)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        record_paths(["/api/v1/products/1/", "/api/v1/search/*"])
        assert sorted(CdnPath.objects.values_list("distribution", flat=True)) == sorted(
            [distribution] * 2 + [f"apigateway:{stage}/prod"] * 2)
        first = drain_cdn()
        # CloudFront took its request; the flush was throttled, and its rows wait for the next drain.
        assert len(first.sent) == 1 and proxy.flushes == [] and first.retry_in is not None
        assert CdnPath.objects.filter(distribution=f"apigateway:{stage}/prod").count() == 2
        time.sleep(first.retry_in)
        second = drain_cdn()
    finally:
        proxy.close()
    assert len(second.sent) == 1 and proxy.flushes == [(stage, "prod")]
    assert not CdnPath.objects.exists()
    assert len(sent_references(aws, distribution)) == 1  # CloudFront's request was not sent twice


def test_a_flush_of_a_stage_that_does_not_exist_is_kept_and_retried_later(aws, stage, settings, monkeypatch):
    settings.CACHING = {**settings.CACHING, "APIGATEWAY_STAGE_NAME": "nonesuch", "CDN_MIN_INTERVAL": 0}
    proxy = StageCacheProxy(aws.port)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        record_paths(["/api/v1/products/1/"])
        report = drain_cdn()
    finally:
        proxy.close()
    assert report.sent == [] and proxy.flushes == []
    batch = CdnInvalidation.objects.get()
    assert batch.status == CdnInvalidation.PENDING and "Invalid stage" in batch.last_error
    assert report.retry_in == caching_settings.CDN_RETRY_MAX  # refused, not throttled: an operator must look
