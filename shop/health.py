"""Liveness (/healthz) and readiness (/readyz) endpoints."""
import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)


def healthz(request):
    """The process is alive: no dependency is checked."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means "not ready"
        logger.warning("readiness: the database does not answer", exc_info=True)
        return False
    return True


def _redis_ok() -> bool:
    try:
        cache.client.get_client(write=False).ping()
    except Exception:
        logger.warning("readiness: Redis does not answer", exc_info=True)
        return False
    return True


def readyz(request):
    """Ready when the database answers. Redis down is *degraded*, not unready: the cache
    layer fails open and requests are served from the database. Which dependency is down
    is said; why (driver messages, addresses) goes to the log only."""
    checks = {"database": "ok" if _database_ok() else "down", "redis": "ok" if _redis_ok() else "down"}
    if checks["database"] != "ok":
        return JsonResponse({"status": "unavailable", "checks": checks}, status=503, headers={"Retry-After": "5"})
    return JsonResponse({"status": "ok" if checks["redis"] == "ok" else "degraded", "checks": checks})
