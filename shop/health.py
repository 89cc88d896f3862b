"""Liveness (/healthz) and readiness (/readyz) endpoints."""
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """The process is alive: no dependency is checked."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return str(exc) or exc.__class__.__name__
    return None


def _check_redis() -> str | None:
    try:
        cache.client.get_client(write=False).ping()
    except Exception as exc:
        return str(exc) or exc.__class__.__name__
    return None


def readyz(request):
    """Ready when the database answers. Redis down is *degraded*, not unready:
    the cache layer fails open and requests are served from the database."""
    db_error = _check_database()
    redis_error = _check_redis()
    checks = {
        "database": "ok" if db_error is None else f"error: {db_error}",
        "redis": "ok" if redis_error is None else f"error: {redis_error}",
    }
    if db_error is not None:
        return JsonResponse({"status": "unavailable", "checks": checks}, status=503)
    status = "ok" if redis_error is None else "degraded"
    return JsonResponse({"status": status, "checks": checks})
