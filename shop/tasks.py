"""Project-level Celery tasks."""
import logging

from celery import shared_task
from django.db import connection

logger = logging.getLogger(__name__)


@shared_task(name="shop.ping")
def ping() -> dict:
    """Prove a worker is alive and reaches the database: answers with its DB vendor."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    logger.info("pong", extra={"database": connection.vendor})
    return {"pong": True, "database": connection.vendor}
