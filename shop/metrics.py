"""/metrics in Prometheus' text format, request latency, and Celery task outcomes.

With PROMETHEUS_MULTIPROC_DIR set (`make run` sets it for gunicorn and Celery alike),
every process writes its values to a file of its own and /metrics adds up the files:
each gunicorn worker's requests and each Celery process's tasks are counted once.
Figures read at scrape time (hit ratio per data type, outbox backlogs, Redis INFO) are
computed by one collector in the process that answers.

Who may read it: a client from METRICS_ALLOWED_IPS (loopback by default), or one
presenting `Authorization: Bearer <METRICS_TOKEN>`. Anyone else gets a 403.
"""
from __future__ import annotations

import hmac
import ipaddress
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from caching import stats
from caching.metrics import process_gauges

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds", "Time to answer a request, by route, method and status class.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CELERY_TASKS = Counter("celery_tasks_total", "Celery tasks run, by task and outcome.", ["task", "outcome"])


class RequestMetricsMiddleware:
    """Times every request (labelled by its URL pattern, never by its raw path, so ids do not
    make new series) and keeps this process's gauges current."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else "unmatched"
        if route != "metrics":
            REQUEST_SECONDS.labels(route, request.method, f"{response.status_code // 100}xx").observe(
                time.perf_counter() - started)
        process_gauges.maybe_refresh()
        return response


def count_task(task_name: str, outcome: str) -> None:
    """A Celery task ended: success, failure or retry (shop.celery's signal handlers)."""
    CELERY_TASKS.labels(task_name, outcome).inc()


class ScrapeTimeCollector:
    """Figures computed when /metrics is read, from the added-up counters and the servers."""

    def __init__(self, samples: dict):
        self.samples = samples

    def collect(self):
        ratio = GaugeMetricFamily("cache_hit_ratio", "Hits over look-ups since start, by data type.",
                                  labels=["data_type"])
        for name, row in stats.data_type_figures(self.samples).items():
            if row["hit_ratio"] is not None:
                ratio.add_metric([name], row["hit_ratio"])
        yield ratio
        backlog = GaugeMetricFamily("cache_outbox_backlog", "Pending rows of the cache and CDN outboxes.",
                                    labels=["outbox"])
        for name, count in stats.outbox_backlogs().items():
            backlog.add_metric([name], count)
        yield backlog
        families = {field: GaugeMetricFamily(f"redis_{field}", f"Redis INFO {field}.", labels=["server"])
                    for field in stats.REDIS_FIELDS}
        up = GaugeMetricFamily("redis_up", "1 when the Redis server answered INFO.", labels=["server"])
        for server, figures in stats.redis_info().items():
            up.add_metric([server], 0 if "error" in figures else 1)
            for field, family in families.items():
                if field in figures:
                    family.add_metric([server], figures[field])
        yield up
        yield from families.values()


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    offered = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


class _Collected:
    """Families collected once, rendered as they are."""

    def __init__(self, families: list):
        self.families = families

    def collect(self):
        return self.families


def metrics_view(request):
    if not _allowed(request):
        return JsonResponse({"error": "forbidden", "detail": "Metrics are for allowed addresses or the token."},
                            status=403)
    process_gauges.refresh()
    # Collected once: in multiprocess mode each collect reads every process's file.
    families = list(stats.registry().collect())
    registry = CollectorRegistry()
    registry.register(_Collected(families))
    registry.register(ScrapeTimeCollector(stats.samples_of(families)))
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
