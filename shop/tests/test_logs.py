"""Structured logs: JSON lines, one request id on every line of a request and of the tasks it queues."""
import json
import time

import pytest

from caching.tests.processes import start_celery_worker, stop_process, worker_env
from shop.logs import new_request_id, request_id
from shop.tasks import ping
from shop.tests.servers import Gunicorn


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.strip():
            try:
                lines.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"not a JSON line: {line!r}") from None
    return lines


@pytest.mark.django_db
def test_a_request_id_is_taken_from_the_client_when_plain_else_made(api_client):
    response = api_client.get("/api/v1/categories/", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response["X-Request-ID"] == "lb-7f3a.42"
    forged = api_client.get("/api/v1/categories/", HTTP_X_REQUEST_ID='x"\n{"level": "ERROR"}')
    assert forged["X-Request-ID"] != 'x"\n{"level": "ERROR"}' and len(forged["X-Request-ID"]) == 32
    assert new_request_id("a" * 65) != "a" * 65


@pytest.mark.django_db(transaction=True)
def test_every_line_of_a_request_is_json_with_its_request_id(tmp_path):
    access_log = tmp_path / "access.log"
    server = Gunicorn(workers=1, env={"LOG_FORMAT": "json"},
                      args=("--log-level", "info", "--access-logfile", str(access_log), "--logger-class",
                            "shop.gunicorn_logging.JsonLogger"))
    server.start()
    try:
        status, headers, _ = server.get("/api/v1/products/999999/", headers={"X-Request-ID": "req-404"})
        assert status == 404 and headers["X-Request-ID"] == "req-404"
        time.sleep(0.5)
        lines = json_lines(server.log_tail(10_000_000)) + json_lines(access_log.read_text())
    finally:
        server.stop()
    mine = [line for line in lines if line.get("request_id") == "req-404"]
    assert mine, lines
    # Django's "Not Found" and gunicorn's access line, both with the id.
    assert {line["logger"] for line in mine} >= {"django.request", "gunicorn.access"}
    access = next(line for line in mine if line["logger"] == "gunicorn.access")
    assert (access["path"], access["status"]) == ("/api/v1/products/999999/", 404)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_under_a_request_logs_with_its_request_id(tmp_path):
    log = tmp_path / "worker.log"
    worker = start_celery_worker("logs", log=log, loglevel="INFO", env=worker_env(LOG_FORMAT="json", LOG_LEVEL="INFO"))
    token = request_id.set("req-task-1")
    try:
        result = ping.delay()
    finally:
        request_id.reset(token)
    try:
        assert result.get(timeout=30)["pong"] is True
        time.sleep(0.3)
    finally:
        stop_process(worker)
    lines = json_lines(log.read_text())
    pong = [line for line in lines if line["message"] == "pong"]
    assert pong and pong[0]["request_id"] == "req-task-1" and pong[0]["database"] in ("mysql", "sqlite")
    assert all(line["request_id"] == "" for line in lines if line["message"].startswith("celery@"))
