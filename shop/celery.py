"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The queues of CELERY_TASK_ROUTES: `make run` and compose give invalidations and warming a
# worker each; a worker that consumes all of them does everything (`-Q` + ",".join(ALL_QUEUES)).
ALL_QUEUES = ("invalidations", "warming", "default")
