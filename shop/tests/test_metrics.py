"""/metrics: Prometheus text, added up over gunicorn workers and Celery processes, for allowed readers only."""
from __future__ import annotations

import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from caching.tests.processes import start_celery_worker, stop_process, worker_env
from shop.tasks import ping
from shop.tests.servers import Gunicorn


def parse(text: str) -> dict[tuple[str, tuple], float]:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(values: dict, name: str, **labels) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_metrics_are_refused_to_other_addresses_without_the_token(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200 and b"cache_lookups_total" in response.content


@pytest.mark.django_db
def test_metrics_from_an_allowed_address(client):
    response = client.get("/metrics")  # the test client comes from 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {"cache_lookups", "cache_hit_ratio", "cache_outbox_backlog", "redis_used_memory", "redis_maxmemory",
            "redis_evicted_keys", "redis_keyspace_hits", "cache_l1_entries", "cache_breaker_open",
            "http_request_duration_seconds"} <= names


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_metrics_add_up_two_server_processes_and_a_celery_worker(make_product, tmp_path):
    product = make_product()
    directory = tmp_path / "prometheus"
    directory.mkdir()
    multiproc = {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    server = Gunicorn(workers=2, env=multiproc, args=("-c", "python:shop.gunicorn_conf"))
    worker = start_celery_worker("metrics", prefork=True, loglevel="WARNING", env=worker_env(**multiproc))
    server.start()
    try:
        requests = 40
        for _ in range(requests):
            status, _, _ = server.get(f"/api/v1/products/{product.pk}/", headers={"Connection": "close"})
            assert status == 200
        for _ in range(3):
            assert ping.delay().get(timeout=30)["pong"] is True
        with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as response:
            values = parse(response.read().decode())
    finally:
        server.stop()
        stop_process(worker)
    # Both gunicorn workers and the Celery process wrote values of their own.
    assert len(list(directory.glob("counter_*.db"))) >= 3
    # Every detail request looked in L1 once, in whichever worker served it; the product was
    # loaded from the database once (the other worker found it in Redis).
    l1 = value(values, "cache_lookups_total", data_type="product", level="l1", result="hit") + value(
        values, "cache_lookups_total", data_type="product", level="l1", result="miss")
    assert l1 == requests
    assert value(values, "cache_loads_total", data_type="product") == 1
    assert value(values, "cache_lookups_total", data_type="product", level="l2", result="miss") == 1
    assert value(values, "cache_hit_ratio", data_type="product") == pytest.approx((requests - 1) / requests)
    route = "api/v1/products/<int:pk>/"
    assert value(values, "http_request_duration_seconds_count", route=route, method="GET", status="2xx") == requests
    assert value(values, "celery_tasks_total", task="shop.ping", outcome="success") == 3
    assert value(values, "redis_up", server="layer") == 1
