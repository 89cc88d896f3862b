"""Start worker processes (caching.tests.workers) against the test database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def start_worker(*args: str) -> subprocess.Popen:
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
        # The test database pytest-django created, not the development one.
        "DATABASE_URL": f"mysql://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}"
        f"/{settings['NAME']}",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "caching.tests.workers", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def read_json_line(process: subprocess.Popen, timeout: float = 30) -> dict:
    line = process.stdout.readline()
    if not line:
        process.wait(timeout)
        raise AssertionError(f"worker said nothing; stderr: {process.stderr.read()[-3000:]}")
    return json.loads(line)
