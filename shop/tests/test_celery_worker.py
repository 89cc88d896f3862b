"""A real Celery worker process takes a task from the Redis broker and answers."""
import os
import time

import pytest

from caching.tests.processes import start_celery_worker, stop_process
from shop.celery import app
from shop.tasks import ping


@pytest.fixture
def celery_worker_process(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings", "LOG_LEVEL": "WARNING"}
    log = tmp_path / "worker.log"
    process = start_celery_worker("test", log=log, loglevel="WARNING", env=env)
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"celery worker did not come up: {log.read_text()[-2000:]}")
        yield process
    finally:
        stop_process(process)


@pytest.mark.worker
def test_worker_runs_a_task_from_the_redis_broker(celery_worker_process):
    result = ping.delay()
    assert result.get(timeout=30) == {"pong": True, "database": "mysql" if "mysql" in os.environ.get(
        "DATABASE_URL", "") else "sqlite"}
