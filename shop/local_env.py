"""The environment `make run` chose (its Redis password and URLs), for every later command.

`make run` writes what it started to `.data/run.env` (mode 0600); settings load it
first, so `manage.py createsuperuser`, `warm_cache` or a Celery task reach the same
services as the server. Variables already set in the environment win;
`SHOP_ENV_FILE=""` turns the file off (the test scripts do).
"""
from __future__ import annotations

import os
from pathlib import Path


def load_local_env(default_path: Path) -> None:
    """Set each `NAME=value` line of the env file that is not already in the environment."""
    path = os.environ.get("SHOP_ENV_FILE", str(default_path))
    if not path:
        return
    try:
        lines = Path(path).read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        os.environ.setdefault(name.strip(), value.strip())
