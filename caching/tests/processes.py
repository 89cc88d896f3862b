"""Start worker processes (caching.tests.workers) against the test database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
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
