"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered."""
import os

from celery import Celery
from celery.signals import (
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_process_shutdown,
)

from shop.logs import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The queues of CELERY_TASK_ROUTES: `make run` and compose give invalidations and warming a
# worker each; a worker that consumes all of them does everything (`-Q` + ",".join(ALL_QUEUES)).
ALL_QUEUES = ("invalidations", "warming", "default")


@before_task_publish.connect
def _pass_request_id(headers: dict | None = None, **kwargs) -> None:
    """A task queued while serving a request (or running a task) carries its request id."""
    current = request_id.get()
    if current and headers is not None:
        headers.setdefault("request_id", current)


@task_prerun.connect
def _adopt_request_id(task=None, **kwargs) -> None:
    request_id.set(getattr(task.request, "request_id", None) or "")


@task_postrun.connect
def _forget_request_id(**kwargs) -> None:
    request_id.set("")


def _count(sender, outcome: str) -> None:
    from shop.metrics import count_task  # after Django is set up

    count_task(getattr(sender, "name", None) or "unknown", outcome)


@task_success.connect
def _task_succeeded(sender=None, **kwargs) -> None:
    _count(sender, "success")


@task_failure.connect
def _task_failed(sender=None, **kwargs) -> None:
    _count(sender, "failure")


@task_retry.connect
def _task_retried(sender=None, **kwargs) -> None:
    _count(sender, "retry")


@worker_process_shutdown.connect
def _forget_process_metrics(pid=None, **kwargs) -> None:
    """A pool process that exits leaves its counters to /metrics, not its live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
