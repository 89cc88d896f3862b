"""Liveness (/healthz) and readiness (/readyz) endpoints."""
import logging

from django.core.cache import cache, caches
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
        logger.warning("readiness: the cache Redis does not answer", exc_info=True)
        return False
    return True


def _store_ok() -> bool:
    """The store Redis: sessions, and the Celery broker beat and the workers need."""
    try:
        caches["sessions"].tier.client.ping()
    except Exception:
        logger.warning("readiness: the store Redis does not answer", exc_info=True)
        return False
    return True


def readyz(request):
    """Ready when the database answers. A Redis down (the cache, or the store of sessions and
    the broker) is *degraded*, not unready: the cache layer fails open, sessions are read
    from the database, and requests are served. Which dependency is down is said; why
    (driver messages, addresses) goes to the log only."""
    checks = {"database": "ok" if _database_ok() else "down", "redis": "ok" if _redis_ok() else "down",
              "store": "ok" if _store_ok() else "down"}
    if checks["database"] != "ok":
        return JsonResponse({"status": "unavailable", "checks": checks}, status=503, headers={"Retry-After": "5"})
    degraded = checks["redis"] != "ok" or checks["store"] != "ok"
    return JsonResponse({"status": "degraded" if degraded else "ok", "checks": checks})
