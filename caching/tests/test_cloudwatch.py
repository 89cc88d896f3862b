"""CloudWatch figures, sent to moto's server over HTTP as they would be sent to AWS."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from caching import cloudwatch
from caching.cloudwatch import FIGURES, CloudWatchPublisher, cloudwatch_client, publish_cache_metrics
from caching.models import CdnPath, PendingInvalidation
from caching.stats import cache_stats
from caching.tests.redis_process import free_port

NAMESPACE = "ShopTests/Cache"


def read(client, name: str, stat: str, **dimensions: str) -> list[float]:
    """The values of one metric over the last half hour, one period covering all of it."""
    now = datetime.now(UTC)
    reply = client.get_metric_data(
        MetricDataQueries=[{"Id": "q", "MetricStat": {"Metric": {
            "Namespace": NAMESPACE, "MetricName": name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]},
            "Period": 3600, "Stat": stat}}],
        StartTime=now - timedelta(minutes=30), EndTime=now + timedelta(minutes=30))
    return reply["MetricDataResults"][0]["Values"]


def hits(row: dict) -> float:
    return row["l1_hits"] + row["l2_hits"] + row["stale"]


@pytest.fixture
def namespace(settings):
    settings.CLOUDWATCH_NAMESPACE = NAMESPACE
    return NAMESPACE


@pytest.mark.django_db
def test_the_second_publish_sends_what_changed_since_the_first(aws, namespace, make_product, api_client):
    kettle, pan = make_product(), make_product()
    for _ in range(3):
        assert api_client.get(f"/api/v1/products/{kettle.pk}/").status_code == 200
    PendingInvalidation.objects.create(keys=["a", "b"])
    CdnPath.objects.bulk_create([CdnPath(distribution="E1", path=f"/p/{n}") for n in range(3)])

    before = cache_stats(hot_keys=0)
    first = publish_cache_metrics()
    for _ in range(4):
        assert api_client.get(f"/api/v1/products/{kettle.pk}/").status_code == 200
    for _ in range(2):
        assert api_client.get(f"/api/v1/products/{pan.pk}/").status_code == 200
    after = cache_stats(hot_keys=0)
    second = publish_cache_metrics()

    # Without a baseline the first publish sends only levels: Redis memory and the outboxes.
    levels = sum(1 for server in before["redis"].values() if server.get("memory_ratio") is not None)
    assert first == levels + len(before["outboxes"])
    assert second > first

    client = aws.client("cloudwatch")
    listed = client.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert {m["Namespace"] for m in listed} == {NAMESPACE}
    assert {(m["MetricName"], tuple(d["Name"] for d in m["Dimensions"])) for m in listed} == \
        {(figure.name, figure.dimensions) for figure in FIGURES}
    assert {d["Value"] for m in listed for d in m["Dimensions"] if d["Name"] == "DataType"} >= {"product"}

    changed = {}
    for name, row in after["data_types"].items():
        old = before["data_types"].get(name, {"requests": 0, "l1_hits": 0, "l2_hits": 0, "stale": 0})
        changed[name] = (row["requests"] - old["requests"], hits(row) - hits(old))
    assert changed["product"][0] >= 6  # the six detail requests, each read the product
    for name, (requests, hit_count) in changed.items():
        assert read(client, "Requests", "Sum", DataType=name) == [requests]
        if requests:
            assert read(client, "HitRatio", "Average", DataType=name) == [pytest.approx(100 * hit_count / requests)]
        else:
            assert read(client, "HitRatio", "Average", DataType=name) == []

    # moto answers a query without dimensions with every datum of that name, whatever its
    # dimensions (CloudWatch gives only the dimensionless one): the overall datum is what
    # remains after the per-type ones.
    total_requests = sum(requests for requests, _ in changed.values())
    total_hits = sum(hit_count for _, hit_count in changed.values())
    per_type_ratios = sum(100 * h / r for r, h in changed.values() if r)
    assert read(client, "Requests", "Sum")[0] - total_requests == total_requests
    assert read(client, "HitRatio", "Sum")[0] - per_type_ratios == pytest.approx(100 * total_hits / total_requests)

    for server, figures in after["redis"].items():
        assert read(client, "Evictions", "Sum", RedisServer=server) == [0]
        assert read(client, "RedisMemoryUtilization", "Maximum", RedisServer=server) == \
            [pytest.approx(100 * figures["memory_ratio"], abs=0.5)]
    assert read(client, "OutboxBacklog", "Maximum", Outbox="cache") == [1]
    assert read(client, "OutboxBacklog", "Maximum", Outbox="cdn") == [3]
    assert read(client, "Errors", "Sum") == [sum(after["errors"].values()) - sum(before["errors"].values())]
    [p95] = read(client, "RequestLatencyP95", "Maximum")
    assert 0 < p95 <= 5000  # within the histogram's last finite bound, 5 s


@pytest.mark.django_db
def test_data_beyond_one_call_go_in_several(aws, namespace, make_product, api_client):
    calls = []

    class CountingPublisher(CloudWatchPublisher):
        @staticmethod
        def client_factory():
            client = cloudwatch_client()
            client.meta.events.register("before-parameter-build.cloudwatch.PutMetricData",
                                        lambda params, **_: calls.append(len(params["MetricData"])))
            return client

    product = make_product()
    CountingPublisher(batch_size=3).publish()
    api_client.get(f"/api/v1/products/{product.pk}/")
    calls.clear()
    sent = CountingPublisher(batch_size=3).publish()
    assert sent > 3
    assert sum(calls) == sent and max(calls) == 3 and len(calls) == -(-sent // 3)
    listed = aws.client("cloudwatch").list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert {m["MetricName"] for m in listed} == {figure.name for figure in FIGURES}


@pytest.mark.django_db
def test_nothing_is_sent_without_a_namespace(aws, settings, make_product, api_client):
    settings.CLOUDWATCH_NAMESPACE = ""
    product = make_product()
    api_client.get(f"/api/v1/products/{product.pk}/")
    assert publish_cache_metrics() == 0
    assert aws.client("cloudwatch").list_metrics()["Metrics"] == []


@pytest.mark.django_db
def test_aws_unreachable_is_logged_and_counted_not_raised(aws, namespace, monkeypatch, caplog):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    failures = REGISTRY.get_sample_value("cloudwatch_publish_failures_total") or 0
    with caplog.at_level(logging.WARNING, logger="caching.cloudwatch"):
        assert publish_cache_metrics() == 0
    assert REGISTRY.get_sample_value("cloudwatch_publish_failures_total") == failures + 1
    assert any("put_metric_data failed" in record.getMessage() for record in caplog.records)


def figures(*, requests: int, hits: int, evicted: int) -> dict:
    return {"data_types": {"product": {"requests": requests, "l1_hits": hits, "l2_hits": 0, "stale": 0}},
            "redis": {"layer": {"evicted_keys": evicted, "memory_ratio": 0.5}}, "outboxes": {"cache": 0},
            "errors": {"get": 0}}


def names(data: list[dict]) -> set[str]:
    return {datum["MetricName"] for datum in data}


def test_counters_that_went_down_send_no_change():
    """Processes or Redis restarted between two publishes: their counters began again at zero."""
    at = datetime.now(UTC)
    buckets = {0.01: 5.0, float("inf"): 5.0}
    before = cloudwatch.snapshot(figures(requests=100, hits=90, evicted=50), buckets)
    restarted = figures(requests=10, hits=9, evicted=1)
    data = cloudwatch.metric_data(restarted, cloudwatch.snapshot(restarted, {0.01: 1.0, float("inf"): 1.0}),
                                  before, at=at)
    assert names(data) == {"RedisMemoryUtilization", "OutboxBacklog", "Errors"}


def test_a_data_type_first_seen_counts_from_zero():
    at = datetime.now(UTC)
    before = cloudwatch.snapshot(figures(requests=0, hits=0, evicted=0), {})
    before["requests"], before["hits"] = {}, {}
    now = figures(requests=4, hits=3, evicted=0)
    data = cloudwatch.metric_data(now, cloudwatch.snapshot(now, {}), before, at=at)
    by_type = {(d["MetricName"], d["Dimensions"][0]["Value"]): d["Value"] for d in data if d["Dimensions"]}
    assert by_type[("Requests", "product")] == 4 and by_type[("HitRatio", "product")] == 75


def test_p95_is_interpolated_within_its_bucket():
    # 90 requests within 10 ms, 10 more within 25 ms: the 95th is halfway through the second bucket.
    assert cloudwatch.p95_seconds({0.01: 90, 0.025: 100, float("inf"): 100}) == pytest.approx(0.0175)
    # Beyond the last finite bound, that bound: the histogram cannot say more.
    assert cloudwatch.p95_seconds({0.01: 10, 5.0: 50, float("inf"): 100}) == 5.0
    assert cloudwatch.p95_seconds({0.01: 0, float("inf"): 0}) is None
    assert cloudwatch.p95_seconds({}) is None
