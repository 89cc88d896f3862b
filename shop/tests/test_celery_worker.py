"""A real Celery worker process takes a task from the Redis broker and answers."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shop.celery import ALL_QUEUES, app
from shop.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_process(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings", "LOG_LEVEL": "WARNING"}
    log = tmp_path / "worker.log"  # a file, not a pipe: a full pipe nobody reads stops the worker
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shop", "worker", "--pool=solo", "--loglevel=WARNING",
         "-Q", ",".join(ALL_QUEUES), "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-n", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"celery worker did not come up: {log.read_text()[-2000:]}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.worker
def test_worker_runs_a_task_from_the_redis_broker(celery_worker_process):
    result = ping.delay()
    assert result.get(timeout=30) == {"pong": True, "database": "mysql" if "mysql" in os.environ.get(
        "DATABASE_URL", "") else "sqlite"}
