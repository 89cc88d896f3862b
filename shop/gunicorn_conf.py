"""gunicorn's settings for `make run` (Procfile) and compose: `gunicorn -c python:shop.gunicorn_conf`.

Command-line flags (bind, workers) still apply; this file holds what flags cannot: the
JSON logger, and the hook that tells prometheus-client's multiprocess mode that a
worker is gone (its live gauges then leave /metrics; its counters stay).
"""
import os

logger_class = "shop.gunicorn_logging.JsonLogger"
accesslog = "-"


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
