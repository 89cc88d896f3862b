"""Start worker processes (caching.tests.workers, Celery workers) against the test database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def worker_env(**extra: str) -> dict:
    """The environment of a process that works on this test's database (and `extra`)."""
    settings = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
        # Warnings and errors only: a worker's INFO lines (a task received, succeeded) would
        # fill a pipe a test reads only when something fails.
        "LOG_LEVEL": "WARNING",
        # The test database pytest-django created, not the development one.
        "DATABASE_URL": f"mysql://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}"
        f"/{settings['NAME']}",
        **extra,
    }


def start_worker(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "caching.tests.workers", *args],
        cwd=ROOT, env=worker_env(**(env or {})), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def read_json_line(process: subprocess.Popen, timeout: float = 30) -> dict:
    line = process.stdout.readline()
    if not line:
        process.wait(timeout)
        raise AssertionError(f"worker said nothing; stderr: {process.stderr.read()[-3000:]}")
    return json.loads(line)


def start_celery_worker(name: str, *, log: Path | None = None, queues: Iterable[str] | None = None,
                        beat_schedule: Path | None = None, prefork: bool = False, loglevel: str | None = None,
                        env: dict | None = None) -> subprocess.Popen:
    """A real Celery worker of the project consuming `queues` (all of them by default), on this
    test's database unless `env` says otherwise; with `beat_schedule`, beat runs inside it.
    Its log lines (stderr; the start-up banner on stdout is dropped) go to the file `log`, or
    nowhere: never to a pipe, which nobody reads until a test fails and which, once full,
    stops the worker."""
    from shop.celery import ALL_QUEUES

    args = [sys.executable, "-m", "celery", "-A", "shop", "worker", "-Q", ",".join(queues or ALL_QUEUES),
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}-{time.time_ns()}@%h",
            *(["--pool=prefork", "--concurrency=1"] if prefork else ["--pool=solo"])]
    if beat_schedule is not None:
        args += ["--beat", "-s", str(beat_schedule)]
    if loglevel is not None:
        args.append(f"--loglevel={loglevel}")
    output = log.open("w") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(args, cwd=ROOT, env=env if env is not None else worker_env(),
                                stdout=subprocess.DEVNULL, stderr=output)
    finally:
        if log is not None:
            output.close()  # the worker has its own copy


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    """Ask `process` to stop (SIGTERM: a Celery worker finishes its task), kill it if it will not."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
